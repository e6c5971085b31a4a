"""Payments: provider configurations and channel policy per platform, payments with an
explicit state machine, the provider inbox, disputes, refunds and bank statements.

Balances are never stored here: crediting and debiting go through `wallets.services`.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from sprechzeit.accounts.models import ClientAccount
from sprechzeit.core.money import Money
from sprechzeit.platforms.models import Platform


class ProviderKind(models.TextChoices):
    SANDBOX = "sandbox", _("Testkasse (Sandbox)")
    STRIPE = "stripe", "Stripe"
    MOLLIE = "mollie", "Mollie"
    PAYPAL = "paypal", "PayPal"
    BANK_TRANSFER = "bank_transfer", _("Banküberweisung")


class ProviderConfig(models.Model):
    """One provider account of a platform. Secrets are never stored: the row names the
    environment variables that hold them (for example STRIPE_SECRET_KEY_COACHING)."""

    platform = models.ForeignKey(
        Platform, on_delete=models.PROTECT, related_name="provider_configs"
    )
    kind = models.CharField(_("Anbieter"), max_length=16, choices=ProviderKind.choices)
    name = models.CharField(_("Bezeichnung"), max_length=100)
    is_active = models.BooleanField(_("aktiv"), default=True)
    secret_env = models.CharField(
        _("Umgebungsvariable des API-Schlüssels"), max_length=100, blank=True, default=""
    )
    webhook_secret_env = models.CharField(
        _("Umgebungsvariable des Webhook-Geheimnisses"), max_length=100, blank=True, default=""
    )
    client_id_env = models.CharField(
        _("Umgebungsvariable der Client-ID (PayPal)"), max_length=100, blank=True, default=""
    )
    # PayPal: the webhook id to verify against; Stripe/Mollie: nothing needed here.
    webhook_id = models.CharField(_("Webhook-ID"), max_length=100, blank=True, default="")
    live = models.BooleanField(_("Live-Modus"), default=False)

    class Meta:
        verbose_name = _("Zahlungsanbieter")
        verbose_name_plural = _("Zahlungsanbieter")

    def __str__(self) -> str:
        return f"{self.platform} · {self.name}"


class Channel(models.TextChoices):
    SANDBOX = "sandbox", _("Testkasse")
    CARD = "card", _("Kreditkarte")
    SEPA_DEBIT = "sepa_debit", _("SEPA-Lastschrift")
    KLARNA = "klarna", "Klarna"
    PAYPAL = "paypal", "PayPal"
    PAYSAFECARD = "paysafecard", "paysafecard"
    BANK_TRANSFER = "bank_transfer", _("Banküberweisung")


class CreditOn(models.TextChoices):
    SETTLEMENT = "settlement", _("bei Zahlungseingang")
    INITIATION_IF_TRUSTED = (
        "initiation_if_trusted",
        _("sofort für vertrauenswürdige Kunden (Risiko des Betreibers)"),
    )


class ChannelPolicy(models.Model):
    """One payment channel of a platform: limits, presets, fees and who may use it."""

    platform = models.ForeignKey(
        Platform, on_delete=models.CASCADE, related_name="channel_policies"
    )
    provider_config = models.ForeignKey(
        ProviderConfig, on_delete=models.PROTECT, related_name="channels"
    )
    channel = models.CharField(_("Zahlart"), max_length=16, choices=Channel.choices)
    label = models.CharField(_("Anzeigename"), max_length=100, blank=True, default="")
    enabled = models.BooleanField(_("aktiv"), default=True)
    position = models.PositiveSmallIntegerField(_("Reihenfolge"), default=0)
    min_minor = models.PositiveIntegerField(_("Mindestbetrag (Cent)"), default=500)
    max_minor = models.PositiveIntegerField(_("Höchstbetrag (Cent)"), default=50000)
    presets = models.JSONField(_("Betragsvorschläge (Cent)"), default=list, blank=True)
    fee_fixed_minor = models.PositiveIntegerField(_("Gebühr fest (Cent)"), default=0)
    fee_percent = models.DecimalField(
        _("Gebühr (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )
    requires_trusted = models.BooleanField(
        _("nur für vertrauenswürdige Kunden"),
        default=False,
        help_text=_("Zum Beispiel SEPA-Lastschrift erst nach einer erfolgreichen Zahlung."),
    )
    slow = models.BooleanField(_("langsame Zahlart"), default=False)
    credit_on = models.CharField(
        pgettext_lazy("balance credit", "Gutschrift"),
        max_length=24,
        choices=CreditOn.choices,
        default=CreditOn.SETTLEMENT,
    )

    class Meta:
        verbose_name = _("Zahlart einer Plattform")
        verbose_name_plural = _("Zahlarten der Plattformen")
        ordering = ["platform", "position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(min_minor__gt=0) & Q(min_minor__lte=F("max_minor")),
                name="channelpolicy_limits_ordered",
            ),
            models.UniqueConstraint(
                fields=["platform", "channel", "provider_config"], name="channelpolicy_unique"
            ),
        ]

    def __str__(self) -> str:
        return self.label or self.get_channel_display()

    def fee_for(self, amount: Money) -> Money:
        """What the provider charges the operator for `amount` (never the client)."""
        return Money(self.fee_fixed_minor, amount.currency) + amount * (
            Decimal(str(self.fee_percent)) / 100
        )


class PaymentStatus(models.TextChoices):
    CREATED = "created", _("angelegt")
    PENDING = "pending", _("in Bearbeitung")
    SUCCEEDED = "succeeded", _("erfolgreich")
    FAILED = "failed", _("fehlgeschlagen")
    CANCELED = "canceled", _("abgebrochen")


class Payment(models.Model):
    """One top-up. Its status follows `services.payments.TRANSITIONS`; it is credited
    to the wallet at most once (`credited_at`, and a ledger id derived from its id)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    platform = models.ForeignKey(Platform, on_delete=models.PROTECT, related_name="+")
    client_account = models.ForeignKey(
        ClientAccount, on_delete=models.PROTECT, related_name="payments"
    )
    provider_config = models.ForeignKey(
        ProviderConfig, on_delete=models.PROTECT, related_name="payments"
    )
    channel = models.CharField(_("Zahlart"), max_length=16, choices=Channel.choices)
    amount_minor = models.PositiveBigIntegerField(_("Betrag (Cent)"))
    currency = models.CharField(_("Währung"), max_length=3)
    fee_minor = models.PositiveBigIntegerField(_("Gebühr (Cent)"), default=0)
    status = models.CharField(
        _("Status"), max_length=16, choices=PaymentStatus.choices, default=PaymentStatus.CREATED
    )
    # The provider's id of the payment (PaymentIntent, Mollie tr_…, PayPal order, bank entry).
    external_id = models.CharField(_("Anbieter-ID"), max_length=200, blank=True, default="")
    # A second id where the provider has one (Stripe Checkout Session, PayPal capture).
    external_ref = models.CharField(_("Anbieter-Referenz"), max_length=200, blank=True, default="")
    redirect_url = models.URLField(_("Bezahlseite"), max_length=2000, blank=True, default="")
    fingerprint = models.CharField(_("Zahlungsmerkmal"), max_length=128, blank=True, default="")
    failure_reason = models.CharField(_("Fehlergrund"), max_length=200, blank=True, default="")
    credited_at = models.DateTimeField(_("gutgeschrieben am"), null=True, blank=True)
    # The client's VAT case in force when the top-up was credited (accounts/vat_place.py):
    # what its receipt says about VAT; empty for top-ups credited before it was kept.
    vat_case = models.CharField(_("Umsatzsteuerfall"), max_length=20, blank=True, default="")
    refunded_minor = models.PositiveBigIntegerField(_("erstattet (Cent)"), default=0)
    charged_back_minor = models.PositiveBigIntegerField(_("zurückgebucht (Cent)"), default=0)
    created_at = models.DateTimeField(_("angelegt"))
    updated_at = models.DateTimeField(_("geändert"))

    class Meta:
        verbose_name = _("Zahlung")
        verbose_name_plural = _("Zahlungen")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider_config", "external_id"],
                condition=~Q(external_id=""),
                name="payment_external_id_unique",
            ),
            models.CheckConstraint(condition=Q(amount_minor__gt=0), name="payment_amount_positive"),
        ]
        indexes = [
            models.Index(fields=["client_account", "created_at"], name="payment_client_created")
        ]

    def __str__(self) -> str:
        return f"{self.id} {self.amount} {self.status}"

    @property
    def amount(self) -> Money:
        return Money(int(self.amount_minor), self.currency)

    @property
    def refundable(self) -> Money:
        return Money(
            int(self.amount_minor - self.refunded_minor - self.charged_back_minor), self.currency
        )


class InboxStatus(models.TextChoices):
    RECEIVED = "received", _("empfangen")
    PROCESSED = "processed", _("verarbeitet")
    IGNORED = "ignored", _("ohne Bedeutung")
    REVIEW = "review", _("zu prüfen")
    FAILED = "failed", _("Fehler")


class InboxEntry(models.Model):
    """A provider notification, stored once per (configuration, event id) with its raw
    body before it is processed."""

    provider_config = models.ForeignKey(
        ProviderConfig, on_delete=models.PROTECT, related_name="inbox"
    )
    external_id = models.CharField(_("Ereignis-ID"), max_length=255)
    event_type = models.CharField(_("Ereignis"), max_length=100, blank=True, default="")
    raw_body = models.TextField(_("Rohdaten"))
    headers = models.JSONField(default=dict, blank=True)
    # What the adapter fetched or parsed (Mollie: the fetched payment).
    payload = models.JSONField(default=dict, blank=True)
    status = models.CharField(
        _("Status"), max_length=16, choices=InboxStatus.choices, default=InboxStatus.RECEIVED
    )
    note = models.TextField(_("Hinweis"), blank=True, default="")
    payment = models.ForeignKey(
        Payment, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    received_at = models.DateTimeField(_("empfangen"))
    processed_at = models.DateTimeField(_("verarbeitet"), null=True, blank=True)
    deliveries = models.PositiveIntegerField(_("Zustellungen"), default=1)

    class Meta:
        verbose_name = _("Eingangsmeldung")
        verbose_name_plural = _("Eingangsmeldungen")
        ordering = ["-received_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider_config", "external_id"], name="inbox_once_per_event"
            )
        ]

    def __str__(self) -> str:
        return f"{self.event_type} {self.external_id}"


class DisputeStatus(models.TextChoices):
    OPEN = "open", _("offen")
    WON = "won", _("gewonnen")
    LOST = "lost", _("verloren")
    ACCEPTED = "accepted", _("akzeptiert")


class Dispute(models.Model):
    """A chargeback or return debit of one payment."""

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="disputes")
    external_id = models.CharField(_("Anbieter-ID"), max_length=200)
    amount_minor = models.PositiveBigIntegerField(_("Betrag (Cent)"))
    fee_minor = models.PositiveBigIntegerField(_("Gebühr (Cent)"), default=0)
    reason = models.CharField(_("Grund"), max_length=100, blank=True, default="")
    status = models.CharField(
        _("Status"), max_length=8, choices=DisputeStatus.choices, default=DisputeStatus.OPEN
    )
    debited = models.BooleanField(_("belastet"), default=False)
    restored = models.BooleanField(_("zurückgebucht"), default=False)
    opened_at = models.DateTimeField(_("eröffnet"))
    closed_at = models.DateTimeField(_("abgeschlossen"), null=True, blank=True)

    class Meta:
        verbose_name = _("Rückbuchung")
        verbose_name_plural = _("Rückbuchungen")
        constraints = [
            models.UniqueConstraint(fields=["payment", "external_id"], name="dispute_unique")
        ]

    def __str__(self) -> str:
        return f"{self.external_id} {self.status}"


class RefundRequestStatus(models.TextChoices):
    REQUESTED = "requested", _("beantragt")
    APPROVED = "approved", _("genehmigt")
    REJECTED = "rejected", _("abgelehnt")


class RefundRequest(models.Model):
    """A client's request to get the unused paid balance back; staff approve."""

    client_account = models.ForeignKey(
        ClientAccount, on_delete=models.PROTECT, related_name="refund_requests"
    )
    amount_minor = models.PositiveBigIntegerField(_("Betrag (Cent)"))
    currency = models.CharField(max_length=3)
    status = models.CharField(
        _("Status"),
        max_length=16,
        choices=RefundRequestStatus.choices,
        default=RefundRequestStatus.REQUESTED,
    )
    created_at = models.DateTimeField(_("beantragt"))
    decided_at = models.DateTimeField(_("entschieden"), null=True, blank=True)
    decided_by = models.CharField(_("entschieden von"), max_length=254, blank=True, default="")

    class Meta:
        verbose_name = _("Erstattungsantrag")
        verbose_name_plural = _("Erstattungsanträge")

    def __str__(self) -> str:
        return f"{self.client_account} {self.amount_minor} {self.status}"


class RefundStatus(models.TextChoices):
    PENDING = "pending", _("beauftragt")
    SUCCEEDED = "succeeded", _("erstattet")
    FAILED = "failed", _("fehlgeschlagen")
    INSTRUCTION = "instruction", _("Überweisung anzuweisen")


class Refund(models.Model):
    """Money back through one payment's channel (ours, or found in a provider event)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    request = models.ForeignKey(
        RefundRequest, on_delete=models.PROTECT, null=True, blank=True, related_name="refunds"
    )
    amount_minor = models.PositiveBigIntegerField(_("Betrag (Cent)"))
    external_id = models.CharField(_("Anbieter-ID"), max_length=200, blank=True, default="")
    status = models.CharField(_("Status"), max_length=16, choices=RefundStatus.choices)
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("Erstattung")
        verbose_name_plural = _("Erstattungen")
        constraints = [
            models.UniqueConstraint(
                fields=["payment", "external_id"],
                condition=~Q(external_id=""),
                name="refund_external_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.payment_id} {self.amount_minor} {self.status}"


class TransferReference(models.Model):
    """A client's stable bank transfer reference (ISO 11649 RF creditor reference)."""

    client_account = models.OneToOneField(
        ClientAccount, on_delete=models.PROTECT, related_name="transfer_reference"
    )
    reference = models.CharField(_("Verwendungszweck (RF)"), max_length=25, unique=True)

    class Meta:
        verbose_name = _("Überweisungsreferenz")
        verbose_name_plural = _("Überweisungsreferenzen")

    def __str__(self) -> str:
        return self.reference


class BankStatement(models.Model):
    """An uploaded statement file (CAMT.053 or MT940), stored once by content hash."""

    provider_config = models.ForeignKey(
        ProviderConfig, on_delete=models.PROTECT, related_name="statements"
    )
    file_name = models.CharField(_("Datei"), max_length=255)
    format = models.CharField(_("Format"), max_length=16)
    sha256 = models.CharField(max_length=64)
    content = models.BinaryField()
    statement_id = models.CharField(_("Auszugs-ID"), max_length=200, blank=True, default="")
    imported_at = models.DateTimeField(_("eingelesen"))

    class Meta:
        verbose_name = _("Kontoauszug")
        verbose_name_plural = _("Kontoauszüge")
        constraints = [
            models.UniqueConstraint(fields=["provider_config", "sha256"], name="statement_once")
        ]

    def __str__(self) -> str:
        return self.file_name


class BankEntryStatus(models.TextChoices):
    CREDITED = "credited", _("gutgeschrieben")
    RETURNED = "returned", _("Rücklastschrift gebucht")
    REVIEW = "review", _("zu prüfen")
    IGNORED = "ignored", _("nicht relevant")
    # Booked by payouts (a payout confirmed or returned) through the one bank import.
    PAYOUT = "payout", _("Auszahlung verbucht")


class BankEntry(models.Model):
    """One statement entry. The key is unique per bank account, so an entry seen in two
    files (or the same file twice) is booked once."""

    statement = models.ForeignKey(BankStatement, on_delete=models.PROTECT, related_name="entries")
    provider_config = models.ForeignKey(ProviderConfig, on_delete=models.PROTECT, related_name="+")
    entry_key = models.CharField(_("Buchungsschlüssel"), max_length=200)
    booking_date = models.DateField(_("Buchungstag"), null=True, blank=True)
    amount_minor = models.PositiveBigIntegerField(_("Betrag (Cent)"))
    currency = models.CharField(max_length=3)
    credit = models.BooleanField(pgettext_lazy("bank entry", "Gutschrift"))
    reference = models.CharField(_("Referenz"), max_length=200, blank=True, default="")
    remittance = models.TextField(_("Verwendungszweck"), blank=True, default="")
    end_to_end_id = models.CharField(max_length=200, blank=True, default="")
    counterparty_name = models.CharField(_("Auftraggeber"), max_length=200, blank=True, default="")
    counterparty_iban = models.CharField(_("IBAN"), max_length=34, blank=True, default="")
    return_reason = models.CharField(_("Rückgabegrund"), max_length=8, blank=True, default="")
    status = models.CharField(_("Status"), max_length=16, choices=BankEntryStatus.choices)
    note = models.CharField(_("Hinweis"), max_length=300, blank=True, default="")
    client_account = models.ForeignKey(
        ClientAccount, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    payment = models.ForeignKey(
        Payment, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("Kontoumsatz")
        verbose_name_plural = _("Kontoumsätze")
        constraints = [
            models.UniqueConstraint(fields=["provider_config", "entry_key"], name="bankentry_once")
        ]

    def __str__(self) -> str:
        sign = "+" if self.credit else "-"
        return f"{sign}{self.amount_minor} {self.reference or self.remittance[:40]}"
