"""Payout runs (one SEPA credit transfer file per issuing entity), the payouts in them,
the bank statement lines imported to confirm or return them, and each operator's policy.

No behaviour here: every write goes through `payouts.services`.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from sprechzeit.accounts.models import Partner
from sprechzeit.platforms.models import LegalEntity
from sprechzeit.statements.models import Statement


class PayoutPolicy(models.Model):
    """How an issuing entity pays out. Without a row: the defaults."""

    legal_entity = models.OneToOneField(
        LegalEntity, on_delete=models.CASCADE, related_name="payout_policy"
    )
    threshold_minor = models.PositiveIntegerField(
        _("Mindestbetrag für Auszahlungen (Cent)"),
        default=2500,
        help_text=_("Darunter wird der Betrag auf den nächsten Monat vorgetragen."),
    )
    execution_days = models.PositiveIntegerField(_("Ausführung nach (Tagen)"), default=2)

    class Meta:
        verbose_name = _("Auszahlungsregeln")
        verbose_name_plural = _("Auszahlungsregeln")

    def __str__(self) -> str:
        return f"{self.legal_entity_id}: {self.threshold_minor}"


class PayoutRun(models.Model):
    """One pain.001.001.09 file for one issuing entity."""

    legal_entity = models.ForeignKey(LegalEntity, on_delete=models.PROTECT, related_name="+")
    # The file's group header MsgId and its one payment block's PmtInfId, as written:
    # a pain.002 and a collective camt.053 entry (NtryDtls/Btch) name the run by these.
    message_id = models.CharField(_("Nachrichten-ID"), max_length=35, unique=True)
    payment_info_id = models.CharField(_("Zahlungsblock-ID"), max_length=35, blank=True)
    execution_date = models.DateField(_("Ausführungstag"))
    count = models.PositiveIntegerField(default=0)
    total_minor = models.BigIntegerField(default=0)
    # Partners not paid this time and why (below threshold, no verified IBAN …).
    skipped = models.JSONField(default=list, blank=True)
    file = models.BinaryField(null=True, blank=True)
    file_sha256 = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("Auszahlungslauf")
        verbose_name_plural = _("Auszahlungsläufe")
        ordering = ["-created_at"]
        permissions = [("download_sepa", _("SEPA-Datei eines Auszahlungslaufs herunterladen"))]

    def __str__(self) -> str:
        return self.message_id


class Payout(models.Model):
    class Status(models.TextChoices):
        IN_TRANSIT = "in_transit", _("unterwegs")
        CONFIRMED = "confirmed", _("ausgeführt")
        RETURNED = "returned", _("zurückgekommen")

    run = models.ForeignKey(PayoutRun, on_delete=models.PROTECT, related_name="payouts")
    # The paying entity (= run.legal_entity): numbers, and so end-to-end ids, are unique
    # per entity only. Nullable only for the migration; always set by the service.
    legal_entity = models.ForeignKey(
        LegalEntity, on_delete=models.PROTECT, null=True, related_name="+"
    )
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="payouts")
    statements = models.ManyToManyField(Statement, related_name="payouts")
    amount_minor = models.BigIntegerField()
    currency = models.CharField(max_length=3, default="EUR")
    # The credit note number (the newest of the statements paid), for bank matching.
    end_to_end_id = models.CharField(max_length=35)
    iban = models.CharField(max_length=34)
    account_holder = models.CharField(max_length=70)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.IN_TRANSIT)
    return_reason = models.CharField(_("Rückgabegrund"), max_length=200, blank=True)
    transfer_id = models.UUIDField(unique=True)
    created_at = models.DateTimeField()
    settled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("Auszahlung")
        verbose_name_plural = _("Auszahlungen")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(amount_minor__gt=0), name="payout_positive"),
            # One open payout per entity and end-to-end id: the bank's answer finds one.
            models.UniqueConstraint(
                fields=["legal_entity", "end_to_end_id"],
                condition=Q(status="in_transit"),
                name="payout_one_in_transit_per_e2e",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.end_to_end_id} ({self.status})"


class BankLine(models.Model):
    """One imported camt.053 transaction: remembered so an import repeats nothing."""

    class Outcome(models.TextChoices):
        CONFIRMED = "confirmed", _("bestätigt")
        RETURNED = "returned", _("Rückgabe")
        UNMATCHED = "unmatched", _("keiner Auszahlung zuzuordnen")
        # The payout (or run) was settled by another line already: the camt.054 detail of
        # a collective entry, or a collective entry whose details came first.
        KNOWN = "known", _("bereits verbucht")

    key = models.CharField(max_length=200, unique=True)
    end_to_end_id = models.CharField(max_length=35, blank=True)
    amount_minor = models.BigIntegerField()
    credit = models.BooleanField()
    reason_code = models.CharField(max_length=10, blank=True)
    payout = models.ForeignKey(
        Payout, on_delete=models.PROTECT, null=True, blank=True, related_name="bank_lines"
    )
    # A collective entry settles a whole run (no single payout).
    run = models.ForeignKey(
        PayoutRun, on_delete=models.PROTECT, null=True, blank=True, related_name="bank_lines"
    )
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    imported_at = models.DateTimeField()

    class Meta:
        verbose_name = _("Kontoauszugszeile")
        verbose_name_plural = _("Kontoauszugszeilen")

    def __str__(self) -> str:
        return f"{self.end_to_end_id or self.key}: {self.outcome}"
