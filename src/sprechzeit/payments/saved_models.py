"""Saved payment methods and the client's automatic top-up (imported by models.py).

A `SavedMethod` is a reference at the provider (a Stripe PaymentMethod of a Customer, a
Mollie mandate of a Customer), never card data. `MethodSetup` is one attempt to save
one (the provider's hosted page in between). `AutoTopUp` is the client's rule: below
`threshold_minor`, charge `amount_minor` to the method, at most `monthly_cap_minor`
per calendar month; deposit limits and self-exclusion apply to every charge."""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from sprechzeit.accounts.models import ClientAccount


class SavedMethod(models.Model):
    client_account = models.ForeignKey(
        ClientAccount, on_delete=models.PROTECT, related_name="saved_methods"
    )
    provider_config = models.ForeignKey(
        "payments.ProviderConfig", on_delete=models.PROTECT, related_name="+"
    )
    channel = models.CharField(_("Zahlart"), max_length=16)
    customer_ref = models.CharField(_("Kunde beim Anbieter"), max_length=200)
    method_ref = models.CharField(_("Zahlungsmittel beim Anbieter"), max_length=200)
    label = models.CharField(_("Bezeichnung"), max_length=100)
    created_at = models.DateTimeField(_("gespeichert"))
    removed_at = models.DateTimeField(_("gelöscht"), null=True, blank=True)

    class Meta:
        verbose_name = _("gespeichertes Zahlungsmittel")
        verbose_name_plural = _("gespeicherte Zahlungsmittel")
        constraints = [
            models.UniqueConstraint(
                fields=["provider_config", "method_ref"], name="savedmethod_unique_ref"
            )
        ]

    def __str__(self) -> str:
        return self.label


class MethodSetup(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    client_account = models.ForeignKey(ClientAccount, on_delete=models.CASCADE, related_name="+")
    provider_config = models.ForeignKey(
        "payments.ProviderConfig", on_delete=models.PROTECT, related_name="+"
    )
    channel = models.CharField(max_length=16)
    customer_ref = models.CharField(max_length=200)
    external_ref = models.CharField(max_length=200, blank=True, default="")
    created_at = models.DateTimeField()
    method = models.ForeignKey(SavedMethod, null=True, blank=True, on_delete=models.SET_NULL)

    class Meta:
        verbose_name = _("Speichervorgang")

    def __str__(self) -> str:
        return str(self.pk)


class AutoTopUp(models.Model):
    client_account = models.OneToOneField(
        ClientAccount, on_delete=models.CASCADE, related_name="auto_topup"
    )
    method = models.ForeignKey(SavedMethod, on_delete=models.PROTECT, related_name="+")
    enabled = models.BooleanField(_("aktiv"), default=True)
    threshold_minor = models.PositiveIntegerField(_("Schwelle (Cent)"))
    amount_minor = models.PositiveIntegerField(_("Betrag (Cent)"))
    monthly_cap_minor = models.PositiveIntegerField(_("Höchstens pro Monat (Cent)"))
    updated_at = models.DateTimeField()

    class Meta:
        verbose_name = _("automatische Aufladung")
        constraints = [
            models.CheckConstraint(
                condition=Q(amount_minor__gt=0) & Q(monthly_cap_minor__gte=F("amount_minor")),
                name="autotopup_amount_within_cap",
            )
        ]

    def __str__(self) -> str:
        return f"{self.client_account_id}: {self.amount_minor}"


class MethodCharge(models.Model):
    """A top-up charged to a saved method: by the client's click or automatically (the
    automatic ones count against the monthly cap)."""

    payment = models.OneToOneField(
        "payments.Payment", on_delete=models.PROTECT, related_name="method_charge"
    )
    method = models.ForeignKey(SavedMethod, on_delete=models.PROTECT, related_name="charges")
    automatic = models.BooleanField(default=False)
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("Abbuchung eines gespeicherten Zahlungsmittels")

    def __str__(self) -> str:
        return str(self.payment_id)
