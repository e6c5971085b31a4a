"""Statements: the partner's tax and bank data, monthly credit notes (Gutschriften) with
their sections per platform and adjustment lines, the number counters and the close runs.

No behaviour lives here: every write goes through `statements.services`. Issued and
cancelled statements are immutable; database triggers refuse changes (migration 0002).
"""

from __future__ import annotations

from datetime import date
from typing import Any, Protocol

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from sprechzeit.accounts.models import Partner
from sprechzeit.platforms.models import LegalEntity, Platform
from sprechzeit.statements.periods import period_name, period_of
from sprechzeit.statements.vat import VatStatus


class _Period(Protocol):
    period_start: date
    period_end: date


class PeriodNamed:
    """The names of the period a row covers (`period_start`, `period_end`), for pages and
    documents: the close run's and the statement's."""

    @property
    def period_label(self: _Period) -> str:
        return period_of(self.period_start, self.period_end).label

    @property
    def period_name(self: _Period) -> str:
        return period_name(self.period_start, self.period_end)


class PartnerTaxProfile(models.Model):
    """What a credit note needs to know about the partner (§ 14 Abs. 4 UStG) and where
    the money goes. Validated in `services.tax_profile_save` (stdnum, schwifty)."""

    partner = models.OneToOneField(Partner, on_delete=models.PROTECT, related_name="tax_profile")
    legal_name = models.CharField(_("Name / Firma"), max_length=200)
    street = models.CharField(_("Straße"), max_length=200)
    building_number = models.CharField(_("Hausnummer"), max_length=20, blank=True)
    postal_code = models.CharField(_("PLZ"), max_length=20)
    city = models.CharField(_("Ort"), max_length=100)
    country = models.CharField(_("Land (ISO)"), max_length=2, default="DE")
    tax_number = models.CharField(_("Steuernummer"), max_length=30, blank=True)
    vat_id = models.CharField(_("USt-IdNr."), max_length=20, blank=True)
    vat_status = models.CharField(_("Umsatzsteuerstatus"), max_length=20, choices=VatStatus.choices)
    iban = models.CharField(_("IBAN"), max_length=34, blank=True)
    bic = models.CharField(_("BIC"), max_length=11, blank=True)
    account_holder = models.CharField(_("Kontoinhaber (genau wie bei der Bank)"), max_length=70)
    # Set when the IBAN passed its check; cleared when the bank returned a payout.
    iban_verified_at = models.DateTimeField(_("IBAN geprüft am"), null=True, blank=True)
    payout_blocked_reason = models.CharField(
        _("Auszahlung gesperrt wegen"), max_length=200, blank=True
    )
    # After a change of the IBAN: payouts go to it from then on (cooling-off).
    iban_usable_from = models.DateTimeField(
        _("Auszahlungen an diese IBAN ab"), null=True, blank=True
    )
    self_billing_accepted_at = models.DateTimeField(
        _("Gutschriftsverfahren zugestimmt am"), null=True, blank=True
    )
    self_billing_version = models.CharField(
        _("Fassung der Vereinbarung"), max_length=20, blank=True
    )
    language = models.CharField(
        _("Sprache der Dokumente"),
        max_length=5,
        choices=[("de", "Deutsch"), ("en", "English")],
        default="de",
    )
    updated_at = models.DateTimeField()

    class Meta:
        verbose_name = _("Steuer- und Bankdaten")
        verbose_name_plural = _("Steuer- und Bankdaten")

    def __str__(self) -> str:
        return self.legal_name


class TaxProfileChange(models.Model):
    """Insert-only history of a partner's tax status and bank data: what applied from
    `valid_from` on (until the next row). Written by `services.tax_profile_save` and the
    back office whenever one of these fields changes; never updated."""

    class By(models.TextChoices):
        PARTNER = "partner", pgettext_lazy("singular", "Berater")
        STAFF = "staff", _("Mitarbeiter")

    partner = models.ForeignKey(
        Partner, on_delete=models.PROTECT, related_name="tax_profile_changes"
    )
    valid_from = models.DateTimeField(_("gilt ab"))
    vat_status = models.CharField(_("Umsatzsteuerstatus"), max_length=20, choices=VatStatus.choices)
    country = models.CharField(_("Land (ISO)"), max_length=2)
    vat_id = models.CharField(_("USt-IdNr."), max_length=20, blank=True)
    tax_number = models.CharField(_("Steuernummer"), max_length=30, blank=True)
    legal_name = models.CharField(_("Name / Firma"), max_length=200)
    iban = models.CharField(_("IBAN"), max_length=34, blank=True)
    account_holder = models.CharField(_("Kontoinhaber"), max_length=70, blank=True)
    changed_by = models.CharField(_("geändert von"), max_length=10, choices=By.choices)

    TRACKED = (
        "vat_status",
        "country",
        "vat_id",
        "tax_number",
        "legal_name",
        "iban",
        "account_holder",
    )

    class Meta:
        verbose_name = _("Änderung der Steuer- und Bankdaten")
        verbose_name_plural = _("Änderungen der Steuer- und Bankdaten")
        ordering = ["partner", "-valid_from", "-pk"]

    def __str__(self) -> str:
        return f"{self.partner_id} {self.valid_from:%Y-%m-%d}: {self.vat_status}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise ValueError("TaxProfileChange rows are insert-only.")
        super().save(*args, **kwargs)


class NumberCounter(models.Model):
    """The last number issued in one series (issuing entity × year). Locked FOR UPDATE
    inside the issuing transaction, so numbers are gap-free and unique under races."""

    legal_entity = models.ForeignKey(LegalEntity, on_delete=models.PROTECT, related_name="+")
    year = models.PositiveIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("Nummernkreis")
        verbose_name_plural = _("Nummernkreise")
        constraints = [
            models.UniqueConstraint(fields=["legal_entity", "year"], name="numbercounter_series")
        ]

    def __str__(self) -> str:
        return f"{self.legal_entity_id}/{self.year}: {self.last}"


class CloseRun(PeriodNamed, models.Model):
    """One close of a period (a month, quarter or half month) for every issuing entity
    with that cadence: its progress and outcome (staff see it in the admin)."""

    class Status(models.TextChoices):
        RUNNING = "running", _("läuft")
        DONE = "done", _("abgeschlossen")
        FAILED = "failed", _("fehlgeschlagen")

    period_start = models.DateField(_("Zeitraum ab"))
    period_end = models.DateField(_("Zeitraum bis"))
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING)
    total = models.PositiveIntegerField(_("Dokumente gesamt"), default=0)
    issued = models.PositiveIntegerField(_("ausgestellt"), default=0)
    held = models.PositiveIntegerField(_("zurückgehalten"), default=0)
    error = models.TextField(_("Fehler"), blank=True)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("Periodenabschluss")
        verbose_name_plural = _("Periodenabschlüsse")
        ordering = ["-started_at"]
        constraints = [
            # A period is closed once; a crashed run is resumed, not started again. A
            # month and the quarter or half month it begins share a start, not an end.
            models.UniqueConstraint(
                fields=["period_start", "period_end"], name="closerun_one_per_period"
            )
        ]

    def __str__(self) -> str:
        return f"{self.period_label} ({self.status})"


class Statement(PeriodNamed, models.Model):
    """A credit note (389) or its cancellation (384) for one partner, period and issuing
    entity. Draft → issued, or draft → held (missing partner data) → issued; issued →
    cancelled when a 384 refers to it."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Entwurf")
        HELD = "held", _("zurückgehalten")
        ISSUED = "issued", _("ausgestellt")
        CANCELLED = "cancelled", _("storniert")

    class Kind(models.TextChoices):
        CREDIT_NOTE = "389", pgettext_lazy("credit note", "Gutschrift")
        CANCELLATION = "384", _("Storno")

    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="statements")
    legal_entity = models.ForeignKey(LegalEntity, on_delete=models.PROTECT, related_name="+")
    run = models.ForeignKey(
        CloseRun, on_delete=models.PROTECT, null=True, blank=True, related_name="statements"
    )
    kind = models.CharField(max_length=3, choices=Kind.choices, default=Kind.CREDIT_NOTE)
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    period_start = models.DateField(_("Zeitraum ab"))
    period_end = models.DateField(_("Zeitraum bis"))
    currency = models.CharField(max_length=3, default="EUR")
    # The document it cancels (384) and, on the original, nothing: "cancelled" is a status.
    cancels = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="cancelled_by"
    )
    held_reason = models.CharField(_("Grund der Zurückhaltung"), max_length=300, blank=True)

    # Filled when issued; frozen from then on.
    # NULL until issued, so drafts do not collide in the unique (entity, number).
    number = models.CharField(_("Nummer"), max_length=30, null=True, blank=True)  # noqa: DJ001
    number_year = models.PositiveIntegerField(null=True, blank=True)
    number_seq = models.PositiveIntegerField(null=True, blank=True)
    issue_date = models.DateField(_("Ausstellungsdatum"), null=True, blank=True)
    issued_at = models.DateTimeField(null=True, blank=True)
    vat_status = models.CharField(max_length=20, choices=VatStatus.choices, blank=True)
    net_minor = models.BigIntegerField(default=0)
    vat_minor = models.BigIntegerField(default=0)
    gross_minor = models.BigIntegerField(default=0)
    # Everything printed, as issued (parties, lines, notes): the PDF renders from this.
    data = models.JSONField(default=dict, blank=True)
    xml = models.BinaryField(null=True, blank=True)
    xml_sha256 = models.CharField(max_length=64, blank=True)
    # The XRechnung 3.0 flavour (only BT-24 differs), archived at issue like `xml`.
    # NULL only for documents issued before it was archived (then made from `data`).
    xrechnung = models.BinaryField(null=True, blank=True)
    xrechnung_sha256 = models.CharField(max_length=64, blank=True)
    # Rendered after issue from `data` (once; the trigger allows NULL → bytes only).
    pdf = models.BinaryField(null=True, blank=True)
    pdf_sha256 = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = pgettext_lazy("credit note", "Gutschrift")
        verbose_name_plural = _("Gutschriften")
        ordering = ["-period_start", "number"]
        permissions = [("download_statement", _("Gutschriften herunterladen (PDF, XML)"))]
        constraints = [
            # Each document exactly once: one credit note per partner, entity and period
            # that is not cancelled (a rerun or a racing run finds it and goes on).
            models.UniqueConstraint(
                fields=["partner", "legal_entity", "period_start"],
                condition=Q(kind="389") & ~Q(status="cancelled"),
                name="statement_one_open_per_period",
            ),
            models.UniqueConstraint(
                fields=["legal_entity", "number_year", "number_seq"],
                name="statement_number_seq_unique",
            ),
            models.UniqueConstraint(
                fields=["legal_entity", "number"], name="statement_number_unique"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["draft", "held"])
                | (Q(number__isnull=False) & Q(issue_date__isnull=False)),
                name="statement_issued_has_number",
            ),
            models.CheckConstraint(
                condition=Q(kind="389", cancels__isnull=True)
                | Q(kind="384", cancels__isnull=False),
                name="statement_cancellation_refers",
            ),
            models.CheckConstraint(
                condition=Q(gross_minor=models.F("net_minor") + models.F("vat_minor")),
                name="statement_gross_is_net_plus_vat",
            ),
        ]
        indexes = [models.Index(fields=["partner", "period_start"], name="statement_partner")]

    def __str__(self) -> str:
        return self.number or f"{self.get_status_display()} #{self.pk}"


class StatementSection(models.Model):
    """One platform's part of a statement."""

    statement = models.ForeignKey(Statement, on_delete=models.PROTECT, related_name="sections")
    platform = models.ForeignKey(Platform, on_delete=models.PROTECT, related_name="+")
    consultations = models.PositiveIntegerField(default=0)
    billed_seconds = models.BigIntegerField(default=0)
    gross_minor = models.BigIntegerField(default=0)
    share_minor = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("Abschnitt")
        verbose_name_plural = _("Abschnitte")
        constraints = [
            models.UniqueConstraint(
                fields=["statement", "platform"], name="statementsection_one_per_platform"
            )
        ]

    def __str__(self) -> str:
        return f"{self.statement_id}/{self.platform_id}"


class Adjustment(models.Model):
    """A goodwill reversal, bonus or correction for a partner on one platform, booked on
    the ledger when entered and listed on the next statement as its own line."""

    class Kind(models.TextChoices):
        BONUS = "bonus", _("Bonus")
        REVERSAL = "reversal", _("Kulanzrückbuchung")
        CORRECTION = "correction", _("Korrektur")

    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="+")
    platform = models.ForeignKey(Platform, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    description = models.CharField(_("Beschreibung"), max_length=200)
    amount_minor = models.BigIntegerField(_("Betrag (Cent, netto)"))
    currency = models.CharField(max_length=3, default="EUR")
    transfer_id = models.UUIDField(unique=True)
    statement = models.ForeignKey(
        Statement, on_delete=models.PROTECT, null=True, blank=True, related_name="adjustments"
    )
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("Anpassung")
        verbose_name_plural = _("Anpassungen")
        constraints = [
            models.CheckConstraint(condition=~Q(amount_minor=0), name="adjustment_not_zero")
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount_minor}"


class Objection(models.Model):
    """A partner's objection (Widerspruch) to a credit note: the note loses its effect as
    an invoice (§ 14 Abs. 2 Satz 3 UStG) and is cancelled by a 384 in the same
    transaction (`services.statement_object`); staff then settle the amount with the
    partner (a new note after agreement, or the partner's own invoice) and record how.
    Insert-only (migration 0009): only the resolution may be filled in, once."""

    class Resolution(models.TextChoices):
        REISSUED = "reissued", _("neue Gutschrift ausgestellt")
        OWN_INVOICE = "own_invoice", _("eigene Rechnung des Beraters")

    statement = models.OneToOneField(
        Statement,
        on_delete=models.PROTECT,
        related_name="objection",
        verbose_name=pgettext_lazy("credit note", "Gutschrift"),
    )
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField(_("Begründung"))
    at = models.DateTimeField(_("eingegangen am"))
    ip = models.GenericIPAddressField(_("IP-Adresse"), null=True, blank=True)
    cancellation = models.OneToOneField(
        Statement, on_delete=models.PROTECT, related_name="+", verbose_name=_("Storno")
    )
    resolution = models.CharField(
        _("Erledigung"), max_length=12, choices=Resolution.choices, blank=True
    )
    resolution_note = models.CharField(_("Vermerk"), max_length=300, blank=True)
    resolved_at = models.DateTimeField(_("erledigt am"), null=True, blank=True)
    # The replacement note, when the resolution is a new credit note.
    replacement = models.OneToOneField(
        Statement, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("Widerspruch gegen eine Gutschrift")
        verbose_name_plural = _("Widersprüche gegen Gutschriften")
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.statement} ({self.at:%Y-%m-%d})"
