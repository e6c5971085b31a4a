"""The ledger's tables: accounts with TigerBeetle's four counters, insert-only transfers,
remembered failures, and the append-only counter deltas of hot accounts.

Nothing here has behaviour: every write goes through `ledger.services`.
"""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class AccountType(models.TextChoices):
    ASSET = "asset", _("Aktiva")
    LIABILITY = "liability", _("Verbindlichkeit")
    INCOME = "income", _("Ertrag")
    EXPENSE = "expense", _("Aufwand")
    EQUITY = "equity", _("Eigenkapital")


# Debit-normal types show a balance as debits − credits, the others as credits − debits.
DEBIT_NORMAL = frozenset({AccountType.ASSET, AccountType.EXPENSE})


class AccountPurpose(models.TextChoices):
    CLIENT_WALLET = "client_wallet", _("Kundenguthaben")
    CLIENT_BONUS = "client_bonus", _("Kundenbonus")
    CONSULTATION_CLEARING = "consultation_clearing", _("Verrechnung Beratungen")
    PARTNER_PAYABLE = "partner_payable", _("Verbindlichkeit Berater")
    PLATFORM_REVENUE = "platform_revenue", _("Erlöse Plattform")
    OUTPUT_VAT = "output_vat", _("Umsatzsteuer")
    INPUT_VAT = "input_vat", _("Vorsteuer")
    # Reverse charge (§ 13b UStG): the VAT the operator owes for a partner's service and
    # the same amount deducted as input VAT, booked when the credit note is issued.
    OUTPUT_VAT_13B = "output_vat_13b", _("Umsatzsteuer § 13b")
    INPUT_VAT_13B = "input_vat_13b", _("Vorsteuer § 13b")
    PROVIDER_CLEARING = "provider_clearing", _("Verrechnung Zahlungsanbieter")
    PROVIDER_FEES = "provider_fees", _("Gebühren Zahlungsanbieter")
    PROMOTION_EXPENSE = "promotion_expense", _("Aufwand Aktionen")
    CHARGEBACK_LOSS = "chargeback_loss", _("Verluste Rückbuchungen")
    CLIENT_RECEIVABLE = "client_receivable", _("Forderungen an Kunden")
    PAYOUT_IN_TRANSIT = "payout_in_transit", _("Auszahlungen unterwegs")
    BANK = "bank", _("Bank")
    ROUNDING = "rounding", _("Rundungsdifferenzen")
    WRITE_OFF = "write_off", _("Abschreibungen")
    OPENING_BALANCE = "opening_balance", _("Eröffnungsbilanz")
    EQUITY = "equity", _("Eigenkapital")


class Account(models.Model):
    """A TigerBeetle-shaped account: immutable apart from its counters and `closed`.

    `hot` accounts (revenue, VAT, clearing …) take part in nearly every booking. They
    carry no limit flags, are never row-locked when booked, and their counter changes are
    appended to `AccountDelta` and folded into the counters later (docs/ledger.md).
    """

    currency = models.CharField(_("Währung"), max_length=3)
    type = models.CharField(_("Kontenart"), max_length=16, choices=AccountType.choices)
    purpose = models.CharField(_("Zweck"), max_length=32, choices=AccountPurpose.choices)
    # A generic owner reference: the ledger sits below every domain app and may not import
    # them. Example: owner_type="accounts.clientaccount", owner_id="42". Empty for the
    # operator's own system accounts.
    owner_type = models.CharField(_("Eigentümer-Typ"), max_length=64, blank=True, default="")
    owner_id = models.CharField(_("Eigentümer-ID"), max_length=64, blank=True, default="")
    name = models.CharField(_("Bezeichnung"), max_length=200, blank=True, default="")
    debits_must_not_exceed_credits = models.BooleanField(default=False)
    credits_must_not_exceed_debits = models.BooleanField(default=False)
    hot = models.BooleanField(_("Heißes Konto"), default=False)
    closed = models.BooleanField(_("Geschlossen"), default=False)
    debits_pending = models.BigIntegerField(default=0)
    debits_posted = models.BigIntegerField(default=0)
    credits_pending = models.BigIntegerField(default=0)
    credits_posted = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(_("Angelegt"))

    class Meta:
        verbose_name = _("Konto")
        verbose_name_plural = _("Konten")
        constraints = [
            models.UniqueConstraint(
                fields=["purpose", "currency", "owner_type", "owner_id"],
                name="ledger_account_one_per_purpose_owner",
            ),
            models.CheckConstraint(
                condition=Q(debits_pending__gte=0)
                & Q(debits_posted__gte=0)
                & Q(credits_pending__gte=0)
                & Q(credits_posted__gte=0),
                name="ledger_account_counters_not_negative",
            ),
            # The database backs the limit the services check under the row lock.
            models.CheckConstraint(
                condition=Q(debits_must_not_exceed_credits=False)
                | Q(debits_posted__lte=F("credits_posted") - F("debits_pending")),
                name="ledger_account_debits_within_credits",
            ),
            models.CheckConstraint(
                condition=Q(credits_must_not_exceed_debits=False)
                | Q(credits_posted__lte=F("debits_posted") - F("credits_pending")),
                name="ledger_account_credits_within_debits",
            ),
            models.CheckConstraint(
                condition=Q(hot=False)
                | (
                    Q(debits_must_not_exceed_credits=False)
                    & Q(credits_must_not_exceed_debits=False)
                ),
                name="ledger_account_hot_has_no_limits",
            ),
        ]

    def __str__(self) -> str:
        owner = f" {self.owner_type}:{self.owner_id}" if self.owner_type else ""
        return f"#{self.pk} {self.purpose}{owner} ({self.currency})"


class TransferKind(models.TextChoices):
    SINGLE = "single", _("Buchung")
    PENDING = "pending", _("Reservierung")
    POST_PENDING = "post_pending", _("Reservierung gebucht")
    VOID_PENDING = "void_pending", _("Reservierung aufgehoben")
    # Booked by `holds_expire_due` when a hold's expiry passed; releases like a void but
    # says why, so the log replays and reads on its own.
    EXPIRE_PENDING = "expire_pending", _("Reservierung abgelaufen")


RESOLVING_KINDS = frozenset(
    {TransferKind.POST_PENDING, TransferKind.VOID_PENDING, TransferKind.EXPIRE_PENDING}
)


class Transfer(models.Model):
    """One debit and one credit of the same amount: balanced by construction.

    Insert-only: database triggers refuse UPDATE and DELETE (migration 0002). The id is
    chosen by the caller and is the idempotency key. For resolving kinds, `pending` is
    the hold; a hold is resolved at most once (unique `pending`).
    """

    id = models.UUIDField(primary_key=True)
    kind = models.CharField(max_length=16, choices=TransferKind.choices)
    debit_account = models.ForeignKey(
        Account, on_delete=models.PROTECT, related_name="+", verbose_name=_("Sollkonto")
    )
    credit_account = models.ForeignKey(
        Account, on_delete=models.PROTECT, related_name="+", verbose_name=_("Habenkonto")
    )
    # Minor units. For a post: the amount posted; for a void or an expiry: the amount released.
    amount = models.BigIntegerField(_("Betrag (Cent)"))
    currency = models.CharField(_("Währung"), max_length=3)
    # Why the money moved, a code chosen by the booking domain ("consultation_charge" …).
    purpose = models.CharField(_("Zweck"), max_length=64, blank=True, default="")
    # What caused it, e.g. "consultation:42" or "payment:7f3c…".
    reference = models.CharField(_("Referenz"), max_length=200, blank=True, default="")
    metadata = models.JSONField(default=dict, blank=True)
    pending = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="resolution",
        verbose_name=_("Reservierung"),
    )
    expires_at = models.DateTimeField(null=True, blank=True)
    batch_id = models.UUIDField(null=True, blank=True)
    # sha256 of the request; a retry with the same id must match it.
    payload_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("Buchung")
        verbose_name_plural = _("Buchungen")
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0), name="ledger_transfer_amount_positive"
            ),
            models.CheckConstraint(
                condition=~Q(debit_account=F("credit_account")),
                name="ledger_transfer_accounts_differ",
            ),
            models.CheckConstraint(
                condition=(
                    Q(kind__in=["single", "pending"], pending__isnull=True)
                    | Q(
                        kind__in=["post_pending", "void_pending", "expire_pending"],
                        pending__isnull=False,
                    )
                ),
                name="ledger_transfer_pending_matches_kind",
            ),
            models.CheckConstraint(
                condition=Q(kind="pending") | Q(expires_at__isnull=True),
                name="ledger_transfer_expiry_only_on_holds",
            ),
        ]
        indexes = [
            models.Index(
                fields=["expires_at"],
                condition=Q(kind="pending", expires_at__isnull=False),
                name="ledger_transfer_hold_expiry",
            ),
            models.Index(fields=["reference"], name="ledger_transfer_reference"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.id} {self.amount} {self.currency}"


class FailedTransfer(models.Model):
    """An id whose booking failed on the ledger's state; it keeps failing when retried."""

    id = models.UUIDField(primary_key=True)
    code = models.CharField(max_length=64)
    payload_hash = models.CharField(max_length=64)
    fields = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("Fehlgeschlagene Buchung")
        verbose_name_plural = _("Fehlgeschlagene Buchungen")

    def __str__(self) -> str:
        return f"{self.id} {self.code}"


class AccountDelta(models.Model):
    """Counter changes of a hot account, appended without locking the account row.

    An account's true counters are its row plus the sum of its deltas;
    `hot_accounts_fold` moves deltas into the row (DELETE … RETURNING, so a delta
    committed during the fold is kept for the next one).
    """

    id = models.BigAutoField(primary_key=True)
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="+")
    debits_pending = models.BigIntegerField(default=0)
    debits_posted = models.BigIntegerField(default=0)
    credits_pending = models.BigIntegerField(default=0)
    credits_posted = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("Kontenänderung (heißes Konto)")
        verbose_name_plural = _("Kontenänderungen (heiße Konten)")

    def __str__(self) -> str:
        return f"delta {self.pk} account {self.account_id}"
