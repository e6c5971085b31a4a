"""Partner onboarding and the partner file's decisions: applications from a platform's
"Berater werden" page, the invitation that turns an accepted one into a partner login,
listing revisions awaiting review, adjustments awaiting a second approver, each
platform's review settings, and when a payout run's file was sent to the bank.

No behaviour here: every write goes through `partners.services`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from sprechzeit.accounts.models import Category, Listing, Partner
from sprechzeit.core.images import ReencodedImageField
from sprechzeit.core.money import Money
from sprechzeit.payouts.models import PayoutRun
from sprechzeit.platforms.models import Platform
from sprechzeit.statements.models import Adjustment

# Bounds of the application form (the form and the service both enforce them).
NAME_MAX = 100
ABOUT_MAX = 2000
SAMPLE_MAX = 3000


class PartnerSettings(models.Model):
    """A platform's rules for its partners. Without a row: the defaults."""

    platform = models.OneToOneField(
        Platform, on_delete=models.CASCADE, related_name="partner_settings"
    )
    review_listing_edits = models.BooleanField(
        _("Profiländerungen vor Veröffentlichung prüfen"),
        default=False,
        help_text=_("Texte und Fotos gehen erst nach Freigabe durch Mitarbeiter online."),
    )
    adjustment_limit_minor = models.PositiveIntegerField(
        _("Anpassungen ab diesem Betrag brauchen eine zweite Freigabe (Cent)"), default=10000
    )

    class Meta:
        verbose_name = _("Berater-Einstellungen")
        verbose_name_plural = _("Berater-Einstellungen")

    def __str__(self) -> str:
        return str(self.platform)


class PartnerApplication(models.Model):
    """One application sent through a platform's "Berater werden" page."""

    class Status(models.TextChoices):
        NEW = "new", _("neu")
        ACCEPTED = "accepted", _("angenommen, Einladung verschickt")
        ONBOARDED = "onboarded", _("Einrichtung abgeschlossen")
        REJECTED = "rejected", _("abgelehnt")

    platform = models.ForeignKey(Platform, on_delete=models.PROTECT, related_name="+")
    first_name = models.CharField(_("Vorname"), max_length=NAME_MAX)
    last_name = models.CharField(_("Nachname"), max_length=NAME_MAX)
    email = models.EmailField(_("E-Mail"))
    phone_number = models.CharField(_("Telefonnummer"), max_length=32, blank=True)
    display_name = models.CharField(_("Gewünschter Anzeigename"), max_length=NAME_MAX)
    categories = models.ManyToManyField(Category, blank=True, verbose_name=_("Kategorien"))
    about = models.TextField(_("Über mich und meine Erfahrung"), max_length=ABOUT_MAX)
    sample_text = models.TextField(_("Textprobe"), max_length=SAMPLE_MAX)
    language = models.CharField(_("Sprache"), max_length=5, default="de")
    ip_hash = models.CharField(max_length=64, blank=True, editable=False)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.NEW)
    submitted_at = models.DateTimeField(_("eingegangen am"))
    decided_at = models.DateTimeField(_("entschieden am"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decision_reason = models.TextField(_("Begründung"), blank=True)
    partner = models.ForeignKey(
        Partner, on_delete=models.PROTECT, null=True, blank=True, related_name="applications"
    )
    listing = models.ForeignKey(
        Listing, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("Bewerbung")
        verbose_name_plural = _("Bewerbungen")
        ordering = ["submitted_at"]
        indexes = [models.Index(fields=["status", "submitted_at"], name="application_queue")]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name} ({self.platform_id})"


class PartnerInvitation(models.Model):
    """The one-time, expiring link of an accepted application: set the password, enrol
    the authenticator. Only the token's SHA-256 is stored (like staff invitations)."""

    application = models.ForeignKey(
        PartnerApplication, on_delete=models.CASCADE, related_name="invitations"
    )
    token_sha256 = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("Einladung für Berater")
        verbose_name_plural = _("Einladungen für Berater")

    def __str__(self) -> str:
        return f"{self.application} ({self.created_at:%Y-%m-%d})"


class ListingRevision(models.Model):
    """A listing's text and photo as a partner wants them, waiting for staff review
    (`initial`: a new partner's first listing, which goes live on approval). Until
    approved the listing keeps showing what it showed."""

    class Kind(models.TextChoices):
        INITIAL = "initial", _("neues Profil")
        EDIT = "edit", _("Änderung")

    class Status(models.TextChoices):
        PENDING = "pending", _("wartet auf Prüfung")
        APPROVED = "approved", _("freigegeben")
        REJECTED = "rejected", _("abgelehnt")
        SUPERSEDED = "superseded", _("ersetzt")

    listing = models.ForeignKey(Listing, on_delete=models.CASCADE, related_name="revisions")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.EDIT)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    display_name = models.CharField(_("Anzeigename"), max_length=100)
    headline = models.CharField(_("Kurzvorstellung"), max_length=200, blank=True)
    description = models.TextField(_("Beschreibung"), blank=True)
    categories = models.ManyToManyField(Category, blank=True, verbose_name=_("Kategorien"))
    photo = ReencodedImageField(_("Foto"), upload_to="listings/revisions/", blank=True)
    submitted_at = models.DateTimeField(_("eingereicht am"))
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reason = models.TextField(_("Begründung"), blank=True)

    class Meta:
        verbose_name = _("Profiländerung")
        verbose_name_plural = _("Profiländerungen")
        ordering = ["submitted_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["listing"], condition=Q(status="pending"), name="revision_one_pending"
            )
        ]

    def __str__(self) -> str:
        return f"{self.listing} ({self.get_status_display()})"


class AdjustmentRequest(models.Model):
    """A bonus, correction or penalty for a partner, with its reason. Up to the
    platform's limit it is booked at once; above it, when a second staff member approves."""

    class Kind(models.TextChoices):
        BONUS = "bonus", _("Bonus")
        CORRECTION = "correction", _("Korrektur")
        PENALTY = "penalty", _("Vertragsstrafe")

    class Status(models.TextChoices):
        PENDING = "pending", _("wartet auf zweite Freigabe")
        BOOKED = "booked", _("gebucht")
        REJECTED = "rejected", _("abgelehnt")

    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="+")
    platform = models.ForeignKey(Platform, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("Art"), max_length=12, choices=Kind.choices)
    amount_minor = models.BigIntegerField(_("Betrag"))
    currency = models.CharField(max_length=3, default="EUR")
    reason = models.CharField(_("Begründung"), max_length=200)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField()
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    adjustment = models.OneToOneField(
        Adjustment, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = pgettext_lazy("partner", "Anpassung")
        verbose_name_plural = pgettext_lazy("partner", "Anpassungen")
        ordering = ["-requested_at"]
        constraints = [
            models.CheckConstraint(condition=~Q(amount_minor=0), name="adjrequest_not_zero")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount_minor}"

    @property
    def amount(self) -> Money:
        return Money(self.amount_minor, self.currency)


class PayoutRunSent(models.Model):
    """Staff handed a payout run's file to the bank (marked in the console)."""

    run = models.OneToOneField(PayoutRun, on_delete=models.PROTECT, related_name="sent")
    sent_at = models.DateTimeField(_("an die Bank übergeben am"))
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("Übergabe an die Bank")
        verbose_name_plural = _("Übergaben an die Bank")

    def __str__(self) -> str:
        return f"{self.run_id} {self.sent_at:%Y-%m-%d}"
