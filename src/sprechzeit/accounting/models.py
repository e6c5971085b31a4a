"""Business clients' billing details and their monthly invoices (§ 14 UStG, EN 16931
type 380) with their own number series per issuing entity (`accounting.invoices`).

Issued invoices and the counter are insert-only at the database level (migration 0002):
an invoice is never changed or deleted; the counter only counts up.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from sprechzeit.accounts.models import ClientAccount
from sprechzeit.platforms.models import LegalEntity


class ClientBilling(models.Model):
    """A client's invoice address and whether they buy as a business (the client's
    page "Rechnungsdaten"); country and VAT ID stay on `ClientAccount`."""

    client = models.OneToOneField(ClientAccount, on_delete=models.PROTECT, related_name="billing")
    is_business = models.BooleanField(
        _("Ich beziehe die Beratungen als Unternehmen"), default=False
    )
    name = models.CharField(_("Name / Firma"), max_length=200, blank=True)
    street = models.CharField(_("Straße und Hausnummer"), max_length=200, blank=True)
    postal_code = models.CharField(_("PLZ"), max_length=20, blank=True)
    city = models.CharField(_("Ort"), max_length=100, blank=True)
    updated_at = models.DateTimeField()

    class Meta:
        verbose_name = _("Rechnungsdaten")
        verbose_name_plural = _("Rechnungsdaten")

    def __str__(self) -> str:
        return self.name or str(self.client_id)


class ClientInvoiceCounter(models.Model):
    """The last invoice number of one series (issuing entity × year), locked FOR UPDATE
    by the issuing transaction: gap-free, unique; it only counts up."""

    legal_entity = models.ForeignKey(LegalEntity, on_delete=models.PROTECT, related_name="+")
    year = models.PositiveIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("Nummernkreis Kundenrechnungen")
        verbose_name_plural = _("Nummernkreise Kundenrechnungen")
        constraints = [
            models.UniqueConstraint(
                fields=["legal_entity", "year"], name="clientinvoicecounter_series"
            )
        ]

    def __str__(self) -> str:
        return f"{self.legal_entity_id}/{self.year}: {self.last}"


class ClientInvoice(models.Model):
    """A business client's invoice for one month's consultations of one VAT case."""

    client = models.ForeignKey(ClientAccount, on_delete=models.PROTECT, related_name="invoices")
    legal_entity = models.ForeignKey(LegalEntity, on_delete=models.PROTECT, related_name="+")
    period_start = models.DateField(_("Zeitraum ab"))
    period_end = models.DateField(_("Zeitraum bis"))
    vat_case = models.CharField(_("Umsatzsteuerfall"), max_length=20)
    number = models.CharField(_("Nummer"), max_length=30)
    number_year = models.PositiveIntegerField()
    number_seq = models.PositiveIntegerField()
    issue_date = models.DateField(_("Ausstellungsdatum"))
    currency = models.CharField(max_length=3, default="EUR")
    net_minor = models.BigIntegerField()
    vat_minor = models.BigIntegerField()
    gross_minor = models.BigIntegerField()
    # The VAT booked per consultation (its sum may differ from `vat_minor`, rounded once
    # on the document per EN 16931 BR-CO-17; docs/vat.md, "Cent-Rundung").
    booked_vat_minor = models.BigIntegerField()
    data = models.JSONField(default=dict)
    xml = models.BinaryField()
    xml_sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("Kundenrechnung")
        verbose_name_plural = _("Kundenrechnungen")
        ordering = ["-period_start", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["client", "period_start", "vat_case"], name="clientinvoice_once"
            ),
            models.UniqueConstraint(
                fields=["legal_entity", "number"], name="clientinvoice_number_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(gross_minor=models.F("net_minor") + models.F("vat_minor")),
                name="clientinvoice_gross_is_net_plus_vat",
            ),
        ]

    def __str__(self) -> str:
        return self.number
