"""The support desk's own records: replies to contact messages (the thread), reports of
ratings, staff notes on a client, goodwill credits with their approval.

The app sits just below the edges (docs/architecture.md): its records point at objects
of the apps below (a contact message, a rating, a client account, a sent mail), and its
services compose those apps' services with the audit trail.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from sprechzeit.accounts.models import ClientAccount
from sprechzeit.consultations.models import Rating
from sprechzeit.notifications.models import OutboundMail
from sprechzeit.platforms.models import ContactMessage


class ContactReply(models.Model):
    """One answer of staff to a contact message, sent as a branded mail (the thread)."""

    message = models.ForeignKey(
        ContactMessage, on_delete=models.PROTECT, related_name="replies", verbose_name=_("Anfrage")
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("von")
    )
    body = models.TextField(_("Antwort"), max_length=10000)
    mail = models.ForeignKey(
        OutboundMail,
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        verbose_name=_("E-Mail"),
    )
    created_at = models.DateTimeField(_("gesendet am"))

    class Meta:
        verbose_name = _("Antwort auf eine Kontaktanfrage")
        verbose_name_plural = _("Antworten auf Kontaktanfragen")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.message_id}: {self.created_at:%Y-%m-%d %H:%M}"


class RatingReport(models.Model):
    """A client or partner reports a rating (offensive, untrue, personal data …); staff
    hide the rating or keep it, which resolves every open report of it."""

    class Reason(models.TextChoices):
        OFFENSIVE = "offensive", _("beleidigend oder unsachlich")
        UNTRUE = "untrue", _("falsche Tatsachenbehauptung")
        PERSONAL = "personal", _("enthält persönliche Daten")
        SPAM = "spam", _("Werbung oder Spam")
        OTHER = "other", _("anderer Grund")

    class Outcome(models.TextChoices):
        HIDDEN = "hidden", _("ausgeblendet")
        KEPT = "kept", _("bleibt sichtbar")

    rating = models.ForeignKey(
        Rating, on_delete=models.PROTECT, related_name="reports", verbose_name=_("Bewertung")
    )
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("gemeldet von"),
    )
    reason = models.CharField(_("Grund"), max_length=12, choices=Reason.choices)
    comment = models.TextField(_("Erläuterung"), max_length=2000, blank=True)
    created_at = models.DateTimeField(_("gemeldet am"))
    resolved_at = models.DateTimeField(_("erledigt am"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    outcome = models.CharField(_("Ergebnis"), max_length=8, choices=Outcome.choices, blank=True)

    class Meta:
        verbose_name = _("Meldung einer Bewertung")
        verbose_name_plural = _("Meldungen von Bewertungen")
        ordering = ["created_at", "pk"]
        constraints = [
            # One open report per person and rating (reporting twice adds nothing).
            models.UniqueConstraint(
                fields=["rating", "reporter"],
                condition=Q(resolved_at__isnull=True),
                name="ratingreport_one_open_per_reporter",
            )
        ]

    def __str__(self) -> str:
        return f"{self.rating_id}: {self.reason}"


class StaffNote(models.Model):
    """A note of staff on a client's file (never shown to the client)."""

    client_account = models.ForeignKey(
        ClientAccount, on_delete=models.PROTECT, related_name="+", verbose_name=_("Kunde")
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("von")
    )
    text = models.TextField(_("Notiz"), max_length=5000)
    created_at = models.DateTimeField(_("am"))

    class Meta:
        verbose_name = _("Notiz zum Kunden")
        verbose_name_plural = _("Notizen zu Kunden")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.client_account_id}: {self.created_at:%Y-%m-%d}"


class GoodwillCredit(models.Model):
    """A goodwill credit for a client, as bonus or as paid (refundable) balance.

    Within the requesting staff member's limit (`settings.SPRECHZEIT_GOODWILL_LIMITS`,
    per role) it is booked at once; above it, it waits for a second, different staff
    member whose limit covers it. Booked on the ledger with this row's id as the use
    case's id (`wallets.wallet_goodwill_credit`).
    """

    class Kind(models.TextChoices):
        BONUS = "bonus", _("Bonusguthaben")
        PAID = "paid", _("eingezahltes Guthaben (erstattbar)")

    class Status(models.TextChoices):
        PENDING = "pending", _("wartet auf Freigabe")
        BOOKED = "booked", _("gebucht")
        REJECTED = "rejected", _("abgelehnt")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    client_account = models.ForeignKey(
        ClientAccount, on_delete=models.PROTECT, related_name="+", verbose_name=_("Kunde")
    )
    kind = models.CharField(_("Art"), max_length=6, choices=Kind.choices)
    amount_minor = models.PositiveIntegerField(_("Betrag"))
    currency = models.CharField(max_length=3)
    reason = models.TextField(_("Begründung"), max_length=2000)
    status = models.CharField(_("Status"), max_length=8, choices=Status.choices)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("beantragt von"),
    )
    requested_at = models.DateTimeField(_("beantragt am"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("entschieden von"),
    )
    decided_at = models.DateTimeField(_("entschieden am"), null=True, blank=True)
    decision_note = models.TextField(_("Anmerkung zur Entscheidung"), max_length=2000, blank=True)

    class Meta:
        verbose_name = _("Kulanzgutschrift")
        verbose_name_plural = _("Kulanzgutschriften")
        ordering = ["-requested_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount_minor__gt=0), name="goodwill_amount_positive"
            ),
            # A second approver is a different person.
            models.CheckConstraint(
                condition=~Q(status="booked")
                | Q(decided_by__isnull=True)
                | ~Q(decided_by=models.F("requested_by")),
                name="goodwill_four_eyes",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.client_account_id}: {self.amount_minor} {self.currency} ({self.kind})"
