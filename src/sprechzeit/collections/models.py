"""Receivables and payment risk. Balances are never stored here (they live on the
ledger); these rows record what staff decided and where a client's debt stands:

- `RiskSettings` (per platform): the refund amount above which two people approve, the
  queues' service levels;
- `DisputeNote`, `DisputeEvidence`: what staff wrote and uploaded about a chargeback;
- `RefundApproval`: the first of two approvals of a large refund (four eyes);
- `DunningPlan` (per platform): the reminder days and the day of the write-off;
- `DunningCase`, `DunningReminder`: a client's negative balance on its way through the
  plan; `InstalmentPlan`, `Instalment`: the debt paid in parts;
- `WriteOff`: what was written off, when, by whom and under which ledger transfer: the
  record for the accountant.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from sprechzeit.accounts.models import ClientAccount
from sprechzeit.core.money import Money
from sprechzeit.payments.models import Dispute, Payment, RefundRequest
from sprechzeit.platforms.models import Platform


def default_reminder_days() -> list[int]:
    return [7, 14, 28]


class RiskSettings(models.Model):
    """Per platform: four eyes for large refunds and the queues' service levels."""

    platform = models.OneToOneField(
        Platform, on_delete=models.CASCADE, related_name="risk_settings"
    )
    refund_four_eyes_minor = models.PositiveIntegerField(
        _("Zweite Freigabe für Erstattungen über (Cent)"),
        default=10000,
        help_text=_("Erstattungen über diesem Betrag gibt eine zweite Person frei."),
    )
    dispute_sla_hours = models.PositiveIntegerField(
        _("Frist für Rückbuchungen (Stunden)"), default=72
    )
    refund_sla_hours = models.PositiveIntegerField(
        _("Frist für Erstattungen (Stunden)"), default=48
    )

    class Meta:
        verbose_name = _("Risiko-Einstellungen")
        verbose_name_plural = _("Risiko-Einstellungen")

    def __str__(self) -> str:
        return str(self.platform)


class DisputeNote(models.Model):
    dispute = models.ForeignKey(Dispute, on_delete=models.PROTECT, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.TextField(_("Notiz"))
    created_at = models.DateTimeField(_("geschrieben"))

    class Meta:
        verbose_name = _("Notiz zur Rückbuchung")
        verbose_name_plural = _("Notizen zu Rückbuchungen")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.text[:60]


class DisputeEvidence(models.Model):
    """One verified upload: an image re-encoded by `core.images`, or a PDF whose magic,
    size, structure and page count were checked (`collections.evidence`)."""

    dispute = models.ForeignKey(Dispute, on_delete=models.PROTECT, related_name="evidence")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    description = models.CharField(_("Beschreibung"), max_length=200, blank=True, default="")
    file_name = models.CharField(_("Datei"), max_length=64)
    content_type = models.CharField(max_length=40)
    content = models.BinaryField()
    size = models.PositiveIntegerField(_("Größe (Byte)"))
    pages = models.PositiveIntegerField(_("Seiten"), default=1)
    sha256 = models.CharField(max_length=64)
    uploaded_at = models.DateTimeField(_("hochgeladen"))

    class Meta:
        verbose_name = _("Beleg zur Rückbuchung")
        verbose_name_plural = _("Belege zu Rückbuchungen")
        ordering = ["uploaded_at", "pk"]

    def __str__(self) -> str:
        return self.file_name


class RefundApproval(models.Model):
    """The first approval of a refund above the platform's four-eyes amount; a second,
    different person with the risk role carries it out."""

    request = models.OneToOneField(
        RefundRequest, on_delete=models.PROTECT, related_name="first_approval"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    amount_minor = models.PositiveBigIntegerField(_("freigegebener Betrag (Cent)"))
    approved_at = models.DateTimeField(_("freigegeben"))

    class Meta:
        verbose_name = _("Erste Freigabe einer Erstattung")
        verbose_name_plural = _("Erste Freigaben von Erstattungen")

    def __str__(self) -> str:
        return f"{self.request_id} {self.amount_minor}"


class DunningPlan(models.Model):
    """Per platform: reminder mails at these days after the case opened, then the
    write-off. Checked before every run (`services.dunning.plan_problems`)."""

    platform = models.OneToOneField(Platform, on_delete=models.CASCADE, related_name="dunning_plan")
    reminder_days = models.JSONField(
        _("Zahlungserinnerungen nach Tagen"),
        default=default_reminder_days,
        help_text=_("Aufsteigende Tage nach Eröffnung, z. B. [7, 14, 28]."),
    )
    write_off_after_days = models.PositiveIntegerField(_("Abschreibung nach Tagen"), default=60)
    instalment_grace_days = models.PositiveIntegerField(_("Nachfrist für Raten (Tage)"), default=3)
    enabled = models.BooleanField(_("aktiv"), default=True)

    class Meta:
        verbose_name = _("Mahnplan")
        verbose_name_plural = _("Mahnpläne")

    def __str__(self) -> str:
        return str(self.platform)


class CaseStatus(models.TextChoices):
    OPEN = "open", _("im Mahnverfahren")
    INSTALMENTS = "instalments", _("in Ratenzahlung")
    SETTLED = "settled", _("beglichen")
    WRITTEN_OFF = "written_off", _("abgeschrieben")


ACTIVE_CASE = (CaseStatus.OPEN, CaseStatus.INSTALMENTS)


class DunningCase(models.Model):
    """A client's negative balance (a receivable after a chargeback or a return debit)
    on its way through the platform's dunning plan. At most one active case per client."""

    platform = models.ForeignKey(Platform, on_delete=models.PROTECT, related_name="+")
    client_account = models.ForeignKey(
        ClientAccount, on_delete=models.PROTECT, related_name="dunning_cases"
    )
    status = models.CharField(
        _("Status"), max_length=16, choices=CaseStatus.choices, default=CaseStatus.OPEN
    )
    currency = models.CharField(max_length=3)
    owed_at_open_minor = models.PositiveBigIntegerField(_("offen bei Eröffnung (Cent)"))
    opened_at = models.DateTimeField(_("eröffnet"))
    # Reminder days count from here; a missed instalment restarts the plan (cycle + 1).
    cycle_started_at = models.DateTimeField(_("Mahnlauf seit"))
    cycle = models.PositiveIntegerField(default=1)
    step = models.PositiveIntegerField(_("versandte Erinnerungen"), default=0)
    closed_at = models.DateTimeField(_("abgeschlossen"), null=True, blank=True)

    class Meta:
        verbose_name = _("Mahnfall")
        verbose_name_plural = _("Mahnfälle")
        ordering = ["-opened_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["client_account"],
                condition=Q(status__in=["open", "instalments"]),
                name="dunning_one_active_case",
            )
        ]

    def __str__(self) -> str:
        return f"{self.client_account} {self.status}"

    @property
    def active(self) -> bool:
        return self.status in ACTIVE_CASE


class DunningReminder(models.Model):
    case = models.ForeignKey(DunningCase, on_delete=models.PROTECT, related_name="reminders")
    cycle = models.PositiveIntegerField()
    step = models.PositiveIntegerField(_("Stufe"))
    amount_minor = models.PositiveBigIntegerField(_("offener Betrag (Cent)"))
    sent_at = models.DateTimeField(_("versandt"))
    mail_key = models.CharField(max_length=100)

    class Meta:
        verbose_name = _("Zahlungserinnerung")
        verbose_name_plural = _("Zahlungserinnerungen")
        ordering = ["sent_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["case", "cycle", "step"], name="dunning_reminder_once")
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.cycle}.{self.step}"


class PlanStatus(models.TextChoices):
    OFFERED = "offered", _("angeboten")
    ACTIVE = "active", _("vereinbart")
    COMPLETED = "completed", _("bezahlt")
    BROKEN = "broken", _("geplatzt")
    DECLINED = "declined", _("abgelehnt")


class InstalmentPlan(models.Model):
    """The debt in `count` parts, due every `interval_days` from `first_due_on`. Agreed
    by staff (active at once) or offered to the client (active once accepted)."""

    case = models.ForeignKey(DunningCase, on_delete=models.PROTECT, related_name="plans")
    status = models.CharField(_("Status"), max_length=16, choices=PlanStatus.choices)
    total_minor = models.PositiveBigIntegerField(_("Gesamtbetrag (Cent)"))
    count = models.PositiveSmallIntegerField(_("Anzahl der Raten"))
    interval_days = models.PositiveSmallIntegerField(_("Abstand (Tage)"))
    first_due_on = models.DateField(_("erste Rate fällig am"))
    # The receivable when the plan became active: what is paid since counts as instalments.
    owed_at_start_minor = models.PositiveBigIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("angelegt"))
    accepted_at = models.DateTimeField(_("angenommen"), null=True, blank=True)
    closed_at = models.DateTimeField(_("abgeschlossen"), null=True, blank=True)

    class Meta:
        verbose_name = _("Ratenplan")
        verbose_name_plural = _("Ratenpläne")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.case_id} {self.count}× {self.status}"


class Instalment(models.Model):
    plan = models.ForeignKey(InstalmentPlan, on_delete=models.PROTECT, related_name="instalments")
    number = models.PositiveSmallIntegerField(_("Rate"))
    amount_minor = models.PositiveBigIntegerField(_("Betrag (Cent)"))
    due_on = models.DateField(_("fällig am"))
    paid_at = models.DateTimeField(_("bezahlt am"), null=True, blank=True)
    payment = models.ForeignKey(
        Payment, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("Rate")
        verbose_name_plural = _("Raten")
        ordering = ["plan", "number"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "number"], name="instalment_number_once")
        ]

    def __str__(self) -> str:
        return f"{self.plan_id} #{self.number}"

    def amount(self, currency: str) -> Money:
        return Money(int(self.amount_minor), currency)


class WriteOff(models.Model):
    """A receivable written off as the operator's chargeback loss (ledger: chargeback
    loss → client receivable). Never the partner's share. Insert only."""

    platform = models.ForeignKey(Platform, on_delete=models.PROTECT, related_name="+")
    client_account = models.ForeignKey(
        ClientAccount, on_delete=models.PROTECT, related_name="write_offs"
    )
    case = models.OneToOneField(
        DunningCase, on_delete=models.PROTECT, null=True, blank=True, related_name="write_off"
    )
    amount_minor = models.PositiveBigIntegerField(_("Betrag (Cent)"))
    currency = models.CharField(max_length=3)
    transfer_id = models.UUIDField(_("Buchung"))
    reason = models.CharField(_("Grund"), max_length=300)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("durch"),
    )
    written_off_at = models.DateTimeField(_("abgeschrieben am"))

    class Meta:
        verbose_name = _("Abschreibung")
        verbose_name_plural = _("Abschreibungen")
        ordering = ["-written_off_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.client_account} {self.amount_minor}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not kwargs.get("force_insert"):
            raise ValueError("A write-off is never changed.")
        super().save(*args, **kwargs)
