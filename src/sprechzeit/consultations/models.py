"""Consultations: the platform's tariff policy, partner presence, the consultation with
its frozen tariff and its holds, the chat transcript, ratings and voice calls.

No behaviour lives here: every write goes through `consultations.services`.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from sprechzeit.accounts.models import ClientAccount, Listing, Partner
from sprechzeit.consultations.tariff import Tariff
from sprechzeit.core.money import Money
from sprechzeit.platforms.models import Platform


class PlatformTariffPolicy(models.Model):
    """How a platform bills consultations. A platform without a row gets the defaults
    (`selectors.policy_for`)."""

    platform = models.OneToOneField(
        Platform, on_delete=models.CASCADE, related_name="tariff_policy"
    )
    increment_first_seconds = models.PositiveIntegerField(
        _("Erster Takt (Sekunden)"), default=1, validators=[MinValueValidator(1)]
    )
    increment_next_seconds = models.PositiveIntegerField(
        _("Folgetakt (Sekunden)"), default=1, validators=[MinValueValidator(1)]
    )
    grace_seconds = models.PositiveIntegerField(_("Freie Sekunden zu Beginn"), default=0)
    connect_fee_minor = models.PositiveIntegerField(_("Verbindungsentgelt (Cent)"), default=0)
    max_duration_seconds = models.PositiveIntegerField(
        _("Höchstdauer (Sekunden)"), default=2 * 3600, validators=[MinValueValidator(60)]
    )
    # Comma-separated seconds before the cut-off at which both sides are warned.
    warning_seconds = models.CharField(
        _("Warnungen (Sekunden vor Ende)"), max_length=50, default="120,60"
    )
    heartbeat_timeout_seconds = models.PositiveIntegerField(
        _("Verbindungs-Zeitlimit (Sekunden)"), default=30, validators=[MinValueValidator(5)]
    )
    request_timeout_seconds = models.PositiveIntegerField(
        _("Zeit zum Annehmen (Sekunden)"), default=60, validators=[MinValueValidator(10)]
    )
    missed_requests_offline = models.PositiveIntegerField(
        _("Verpasste Anfragen bis offline"), default=3, validators=[MinValueValidator(1)]
    )
    meter_interval_seconds = models.PositiveIntegerField(
        _("Zählerstand senden alle (Sekunden)"), default=10, validators=[MinValueValidator(1)]
    )
    # The meter may pause while the client is on the top-up page, for at most
    # `pause_max_seconds` in total per consultation (the partner waits unpaid meanwhile).
    pause_on_top_up = models.BooleanField(_("Zähler pausiert während der Aufladung"), default=False)
    pause_max_seconds = models.PositiveIntegerField(
        _("Längste Pause je Beratung (Sekunden)"), default=180
    )
    # Video consultations (WebRTC): allowed at all, and the range of a listing's own video
    # rate per minute (empty: the platform's price range).
    video_enabled = models.BooleanField(_("Videoberatungen erlaubt"), default=True)
    video_rate_min_minor = models.PositiveIntegerField(
        _("Mindestpreis Video pro Minute (Cent)"), null=True, blank=True
    )
    video_rate_max_minor = models.PositiveIntegerField(
        _("Höchstpreis Video pro Minute (Cent)"), null=True, blank=True
    )

    class Meta:
        verbose_name = _("Tarifregeln")
        verbose_name_plural = _("Tarifregeln")
        constraints = [
            models.CheckConstraint(
                condition=Q(increment_first_seconds__gte=1) & Q(increment_next_seconds__gte=1),
                name="tariffpolicy_increments_positive",
            )
        ]

    def __str__(self) -> str:
        return f"{self.platform_id}: {self.increment_first_seconds}/{self.increment_next_seconds}"

    @property
    def warnings(self) -> tuple[int, ...]:
        values = {int(part) for part in self.warning_seconds.split(",") if part.strip().isdigit()}
        return tuple(sorted((value for value in values if value > 0), reverse=True))


class PartnerPresence(models.Model):
    """What a partner has chosen (online / offline) on every platform at once. Busy is
    not stored: a partner with an open consultation is busy (`selectors`)."""

    class Status(models.TextChoices):
        ONLINE = "online", _("online")
        OFFLINE = "offline", _("offline")

    partner = models.OneToOneField(Partner, on_delete=models.CASCADE, related_name="presence")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OFFLINE)
    missed_in_row = models.PositiveIntegerField(default=0)
    changed_at = models.DateTimeField()

    class Meta:
        verbose_name = _("Erreichbarkeit")
        verbose_name_plural = _("Erreichbarkeit")

    def __str__(self) -> str:
        return f"{self.partner_id}: {self.status}"


class Consultation(models.Model):
    """One consultation between a client and a partner's listing, with the tariff frozen
    at the request and the money held for it.

    Lifecycle (each arrow is one service): requested → live (accept) → ended (end) →
    settled (settle); requested → declined | missed | cancelled.
    """

    class Status(models.TextChoices):
        REQUESTED = "requested", _("angefragt")
        LIVE = "live", _("läuft")
        ENDED = "ended", _("beendet")
        SETTLED = "settled", _("abgerechnet")
        DECLINED = "declined", _("abgelehnt")
        MISSED = "missed", _("verpasst")
        CANCELLED = "cancelled", _("abgebrochen")

    class Channel(models.TextChoices):
        CHAT = "chat", _("Chat")
        PHONE = "phone", _("Telefon")
        VIDEO = "video", _("Video")

    class EndReason(models.TextChoices):
        CLIENT = "client", _("vom Klienten beendet")
        PARTNER = "partner", _("vom Berater beendet")
        BALANCE = "balance", _("Guthaben aufgebraucht")
        MAX_DURATION = "max_duration", _("Höchstdauer erreicht")
        TIMEOUT = "timeout", _("Verbindung verloren")
        REAPER = "reaper", _("nach Absturz geschlossen")
        CALL = "call", _("Anruf beendet")

    OPEN = (Status.REQUESTED, Status.LIVE)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    platform = models.ForeignKey(Platform, on_delete=models.PROTECT, related_name="+")
    listing = models.ForeignKey(Listing, on_delete=models.PROTECT, related_name="consultations")
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="consultations")
    client = models.ForeignKey(
        ClientAccount, on_delete=models.PROTECT, related_name="consultations"
    )
    channel = models.CharField(max_length=8, choices=Channel.choices, default=Channel.CHAT)
    status = models.CharField(
        max_length=12, choices=Status.choices, default=Status.REQUESTED, db_index=True
    )
    end_reason = models.CharField(max_length=16, choices=EndReason.choices, blank=True)
    requested_at = models.DateTimeField()
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    settled_at = models.DateTimeField(null=True, blank=True)

    # The frozen tariff (copied at the request; the listing's price may change later).
    currency = models.CharField(max_length=3)
    rate_minor = models.PositiveIntegerField(_("Preis pro Minute (Cent)"))
    increment_first_seconds = models.PositiveIntegerField()
    increment_next_seconds = models.PositiveIntegerField()
    grace_seconds = models.PositiveIntegerField()
    connect_fee_minor = models.PositiveIntegerField()
    vat_rate = models.DecimalField(max_digits=5, decimal_places=2)
    # The client's VAT case at the request (accounts/vat_place.py): German VAT at
    # `vat_rate`, or none (not taxable in Germany / reverse charge, `vat_rate` 0).
    vat_case = models.CharField(max_length=20, default="de")
    revenue_share = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))],
    )
    max_duration_seconds = models.PositiveIntegerField()

    # Money held so far and the paid seconds it buys (the cut-off, from started_at).
    held_minor = models.BigIntegerField(default=0)
    paid_seconds = models.PositiveIntegerField(default=0)
    # Paused seconds that do not count, in total (frozen from the policy; 0: no pausing).
    # With pauses the paid seconds are metered seconds (`consultations.pauses`).
    pause_max_seconds = models.PositiveIntegerField(default=0)
    # Seconds not billed because a side's connection was lost and came back (a node died,
    # the network dropped), rounded up; the gaps themselves are `ConsultationPause` rows
    # of kind `outage` (0: none, and no pause query for a consultation without policy).
    outage_seconds = models.PositiveIntegerField(default=0)
    # A video consultation whose media failed (refused camera, no device, no connection)
    # goes on as a chat in the same consultation: when, and why (`media.FALLBACK_REASONS`).
    media_fallback_at = models.DateTimeField(null=True, blank=True)
    media_fallback_reason = models.CharField(max_length=16, blank=True)

    # The outcome, set when it ends and is settled.
    duration_seconds = models.PositiveIntegerField(null=True, blank=True)
    billed_seconds = models.PositiveIntegerField(null=True, blank=True)
    amount_minor = models.BigIntegerField(null=True, blank=True)
    vat_minor = models.BigIntegerField(null=True, blank=True)
    partner_share_minor = models.BigIntegerField(null=True, blank=True)
    platform_share_minor = models.BigIntegerField(null=True, blank=True)
    settlement_batch_id = models.UUIDField(null=True, blank=True)

    class Meta:
        verbose_name = _("Beratung")
        verbose_name_plural = _("Beratungen")
        ordering = ["-requested_at"]
        indexes = [
            models.Index(fields=["client", "requested_at"], name="consultation_client_time"),
            models.Index(fields=["partner", "requested_at"], name="consultation_partner_time"),
        ]
        constraints = [
            # "Twice at once from one client" and "busy": the database refuses a second
            # open consultation of a client or of a partner, whatever races above.
            models.UniqueConstraint(
                fields=["client"],
                condition=Q(status__in=["requested", "live"]),
                name="consultation_one_open_per_client",
            ),
            models.UniqueConstraint(
                fields=["partner"],
                condition=Q(status__in=["requested", "live"]),
                name="consultation_one_open_per_partner",
            ),
            models.CheckConstraint(
                condition=Q(amount_minor__isnull=True)
                | Q(amount_minor__lte=models.F("held_minor")),
                name="consultation_never_more_than_held",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.pk} ({self.status})"

    @property
    def tariff(self) -> Tariff:
        return Tariff(
            rate_minor=self.rate_minor,
            currency=self.currency,
            increment_first=self.increment_first_seconds,
            increment_next=self.increment_next_seconds,
            grace_seconds=self.grace_seconds,
            connect_fee_minor=self.connect_fee_minor,
        )

    @property
    def held(self) -> Money:
        return Money(self.held_minor, self.currency)

    @property
    def amount(self) -> Money | None:
        return None if self.amount_minor is None else Money(self.amount_minor, self.currency)


class ConsultationHold(models.Model):
    """One hold on the client's wallet for a consultation: the first at accept, one more
    per extension after a top-up. Resolved (posted or voided) at settlement."""

    consultation = models.ForeignKey(Consultation, on_delete=models.PROTECT, related_name="holds")
    seq = models.PositiveIntegerField()
    transfer_id = models.UUIDField(unique=True)
    amount_minor = models.BigIntegerField()
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("Reservierung")
        verbose_name_plural = _("Reservierungen")
        ordering = ["seq"]
        constraints = [
            models.UniqueConstraint(fields=["consultation", "seq"], name="consultationhold_seq"),
            models.CheckConstraint(
                condition=Q(amount_minor__gt=0), name="consultationhold_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.consultation_id}#{self.seq}"


class ConsultationPause(models.Model):
    """One pause of the meter: the client is on the top-up page (`top_up`, open while
    `ended_at` is empty, at most one open per consultation, counted up to the allowance),
    or a side's connection was lost and came back (`outage`: recorded closed, from that
    side's last heartbeat to its return, counted in full)."""

    class Kind(models.TextChoices):
        TOP_UP = "top_up", _("Aufladung")
        OUTAGE = "outage", _("Verbindungsausfall")

    consultation = models.ForeignKey(Consultation, on_delete=models.PROTECT, related_name="pauses")
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.TOP_UP)

    class Meta:
        verbose_name = _("Pause")
        verbose_name_plural = _("Pausen")
        ordering = ["started_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["consultation"],
                condition=Q(ended_at__isnull=True),
                name="consultationpause_one_open",
            ),
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | Q(ended_at__gte=models.F("started_at")),
                name="consultationpause_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.consultation_id} {self.started_at:%H:%M:%S}"


class ChatMessage(models.Model):
    """One line of the transcript; both participants may read it later."""

    class Sender(models.TextChoices):
        CLIENT = "client", _("Klient")
        PARTNER = "partner", pgettext_lazy("singular", "Berater")

    consultation = models.ForeignKey(
        Consultation, on_delete=models.PROTECT, related_name="messages"
    )
    sender = models.CharField(max_length=8, choices=Sender.choices)
    body = models.TextField()
    sent_at = models.DateTimeField()

    class Meta:
        verbose_name = _("Chatnachricht")
        verbose_name_plural = _("Chatnachrichten")
        ordering = ["sent_at", "pk"]

    def __str__(self) -> str:
        return f"{self.consultation_id} {self.sender}"


class Rating(models.Model):
    consultation = models.OneToOneField(
        Consultation, on_delete=models.PROTECT, related_name="rating"
    )
    listing = models.ForeignKey(Listing, on_delete=models.PROTECT, related_name="ratings")
    stars = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    text = models.TextField(blank=True)
    created_at = models.DateTimeField()
    # Hidden by staff (a report upheld): off the profile and out of the average
    # (`VISIBLE_RATING`); the rating itself stays, restorable.
    hidden_at = models.DateTimeField(_("ausgeblendet am"), null=True, blank=True)
    hidden_reason = models.CharField(_("Grund der Ausblendung"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("Bewertung")
        verbose_name_plural = _("Bewertungen")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(stars__gte=1) & Q(stars__lte=5), name="rating_stars_1_to_5"
            )
        ]

    def __str__(self) -> str:
        return f"{self.listing_id}: {self.stars}"


class VoiceConfig(models.Model):
    """A Twilio-compatible voice number of a platform; webhooks arrive under
    /hooks/voice/<id>/ and are verified with `auth_token`."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    platform = models.ForeignKey(Platform, on_delete=models.PROTECT, related_name="+")
    phone_number = models.CharField(_("Rufnummer"), max_length=32)
    auth_token = models.CharField(_("Auth-Token"), max_length=128)
    # With the account SID the server may use Twilio's REST API (same auth token): calls
    # are then cut off by the server at the paid second and a top-up extends them.
    account_sid = models.CharField(
        _("Account-SID"),
        max_length=64,
        blank=True,
        help_text=_(
            "Mit Account-SID beendet der Server Anrufe über die REST-Schnittstelle und "
            "eine Aufladung verlängert das laufende Gespräch; ohne begrenzt Twilio das "
            "Gespräch auf die bezahlte Zeit."
        ),
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        verbose_name = _("Telefonzugang")
        verbose_name_plural = _("Telefonzugänge")

    def __str__(self) -> str:
        return self.phone_number

    @property
    def has_rest_credentials(self) -> bool:
        return bool(self.account_sid and self.auth_token)


class VoiceCall(models.Model):
    """The state of one incoming call between webhooks (identified by its CallSid)."""

    class Step(models.TextChoices):
        CUSTOMER = "customer", _("Kundennummer")
        PIN = "pin", _("PIN")
        EXTENSION = "extension", _("Durchwahl")
        CONNECTED = "connected", _("verbunden")
        DONE = "done", _("beendet")

    config = models.ForeignKey(VoiceConfig, on_delete=models.PROTECT, related_name="calls")
    call_sid = models.CharField(max_length=64, unique=True)
    caller = models.CharField(max_length=32, blank=True)
    step = models.CharField(max_length=12, choices=Step.choices)
    client = models.ForeignKey(
        ClientAccount, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    customer_number = models.CharField(max_length=20, blank=True)
    wrong_pins = models.PositiveSmallIntegerField(default=0)
    consultation = models.OneToOneField(
        Consultation, on_delete=models.PROTECT, null=True, blank=True, related_name="voice_call"
    )
    # Connected with the maximum length as `<Dial timeLimit>`: the server cuts the call
    # off at the paid second (REST), so a top-up extends it.
    server_cut_off = models.BooleanField(default=False)
    # When the partner answered (the paid time counts from here) and when the server
    # hung the call up.
    answered_at = models.DateTimeField(null=True, blank=True)
    hung_up_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("Anruf")
        verbose_name_plural = _("Anrufe")

    def __str__(self) -> str:
        return self.call_sid
