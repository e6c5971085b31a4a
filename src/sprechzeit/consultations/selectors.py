"""Reads of consultations: tariff policy, availability, participants, the meter's
state, what the sockets load, records."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Final

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.db import transaction
from django.db.models import Avg, Count, Q, QuerySet

from sprechzeit.accounts.models import ClientAccount, Listing, Partner, User
from sprechzeit.consultations import pauses
from sprechzeit.consultations.errors import ConsultationNotFound, NotParticipant
from sprechzeit.consultations.meter import RoomPolicy
from sprechzeit.consultations.models import (
    ChatMessage,
    Consultation,
    ConsultationPause,
    Favourite,
    OnlineAlert,
    PartnerPresence,
    PlatformTariffPolicy,
    Rating,
)
from sprechzeit.consultations.protocol import (
    ChatLine,
    EndedState,
    MeterState,
    RequestSummary,
    Role,
)
from sprechzeit.core.errors import DomainError
from sprechzeit.platforms.models import Platform
from sprechzeit.platforms.selectors import normalise_host, platform_for_host


def policy_for(platform: Platform) -> PlatformTariffPolicy:
    """The platform's tariff policy, or an unsaved one with the defaults."""
    policy = PlatformTariffPolicy.objects.filter(platform=platform).first()
    return policy if policy is not None else PlatformTariffPolicy(platform=platform)


class Availability:
    ONLINE = "online"
    OFFLINE = "offline"
    BUSY = "busy"


def partner_is_busy(*, partner: Partner) -> bool:
    """Busy on every platform while any consultation of the partner is open."""
    return Consultation.objects.filter(partner=partner, status__in=Consultation.OPEN).exists()


def partner_availability(*, partner: Partner) -> str:
    presence = PartnerPresence.objects.filter(partner=partner).first()
    if presence is None or presence.status == PartnerPresence.Status.OFFLINE:
        return Availability.OFFLINE
    return Availability.BUSY if partner_is_busy(partner=partner) else Availability.ONLINE


def listings_availability(platform: Platform, *, listing_ids: list[int]) -> dict[int, str]:
    """Availability of several listings of one platform (for live directory pages)."""
    listings = Listing.objects.filter(platform=platform, pk__in=listing_ids)
    partner_of = dict(listings.values_list("pk", "partner_id"))
    online = set(
        PartnerPresence.objects.filter(
            partner_id__in=partner_of.values(), status=PartnerPresence.Status.ONLINE
        ).values_list("partner_id", flat=True)
    )
    busy = set(
        Consultation.objects.filter(
            partner_id__in=partner_of.values(), status__in=Consultation.OPEN
        ).values_list("partner_id", flat=True)
    )
    result = {}
    for listing_id, partner_id in partner_of.items():
        if partner_id not in online:
            result[listing_id] = Availability.OFFLINE
        else:
            result[listing_id] = Availability.BUSY if partner_id in busy else Availability.ONLINE
    return result


def platform_availability(platform: Platform) -> dict[int, str]:
    """Who of the partners with a listing on `platform` is online or busy, by partner id
    (anyone missing is offline): two queries whatever the number of listings, for the
    directory, which ranks all of them. The same rules as `listings_availability`."""
    online = set(
        PartnerPresence.objects.filter(
            status=PartnerPresence.Status.ONLINE, partner__listings__platform=platform
        ).values_list("partner_id", flat=True)
    )
    busy = set(
        Consultation.objects.filter(
            status__in=Consultation.OPEN,
            partner__presence__status=PartnerPresence.Status.ONLINE,
            partner__listings__platform=platform,
        ).values_list("partner_id", flat=True)
    )
    return {
        partner_id: Availability.BUSY if partner_id in busy else Availability.ONLINE
        for partner_id in online
    }


@dataclass(frozen=True, slots=True)
class Participation:
    consultation: Consultation
    role: Role


def consultation_for_user(*, consultation_id: uuid.UUID | str, user: User) -> Participation:
    """The consultation and the user's role in it; raises NotParticipant for anyone else
    (including a client of another platform)."""
    consultation = (
        Consultation.objects.select_related("client", "partner", "listing", "platform")
        .filter(pk=consultation_id)
        .first()
    )
    if consultation is None:
        raise ConsultationNotFound(consultation=str(consultation_id))
    if not user.is_authenticated:
        raise NotParticipant()
    if consultation.client.user_id == user.pk:
        return Participation(consultation=consultation, role="client")
    if consultation.partner.user_id == user.pk:
        return Participation(consultation=consultation, role="partner")
    raise NotParticipant()


def transcript(*, consultation: Consultation) -> QuerySet[ChatMessage]:
    return ChatMessage.objects.filter(consultation=consultation).order_by("sent_at", "pk")


def open_requests_for(*, partner: Partner) -> QuerySet[Consultation]:
    return Consultation.objects.filter(
        partner=partner, status=Consultation.Status.REQUESTED
    ).select_related("listing", "platform", "client")


def live_consultations() -> QuerySet[Consultation]:
    return Consultation.objects.filter(status=Consultation.Status.LIVE)


def client_pseudonym(*, consultation: Consultation) -> str:
    """How a partner sees a client: stable per partner and client, not the name, and
    not the same across partners (so two partners cannot match their clients)."""
    digest = hashlib.sha256(
        f"{settings.SECRET_KEY}:{consultation.partner_id}:{consultation.client_id}".encode()
    ).hexdigest()
    return f"K-{digest[:6].upper()}"


def visible_ratings_q(prefix: str = "") -> Q:
    """The one definition of a rating the public sees and the average counts: not
    hidden by staff. `prefix` names the relation from another model ("ratings__")."""
    return Q(**{f"{prefix}hidden_at__isnull": True})


# The directory's rating summary stays in the cache this long at most; giving, hiding or
# showing a rating of the platform forgets it at once (services.ratings).
RATING_SUMMARY_SECONDS: Final = 300


def rating_summary_key(platform_id: int) -> str:
    return f"consultations:rating-summary:{platform_id}"


def listings_rating_summary(platform: Platform) -> dict[int, tuple[float, int]]:
    """Average stars and count of the visible ratings of every rated listing of
    `platform`, by listing id: the directory ranks thousands of listings by it on every
    request, so it comes from the cache, computed by one query when a rating of the
    platform changed (or after `RATING_SUMMARY_SECONDS`)."""
    key = rating_summary_key(platform.pk)
    summary: dict[int, tuple[float, int]] | None = cache.get(key)
    if summary is None:
        rows = (
            Rating.objects.filter(visible_ratings_q(), listing__platform=platform)
            .order_by()
            .values("listing_id")
            .annotate(average=Avg("stars"), count=Count("pk"))
            .values_list("listing_id", "average", "count")
        )
        summary = {listing_id: (float(average), count) for listing_id, average, count in rows}
        cache.set(key, summary, RATING_SUMMARY_SECONDS)
    return summary


def ratings_visible(*, listing: Listing) -> QuerySet[Rating]:
    """A listing's ratings as the public sees them, newest first."""
    return Rating.objects.filter(visible_ratings_q(), listing=listing).order_by("-created_at")


@dataclass(frozen=True, slots=True)
class RatingSummary:
    count: int
    average: Decimal | None
    recent: list[Rating]


def listing_rating_summary(*, listing: Listing, recent: int = 5) -> RatingSummary:
    """What a listing page shows: the average of the visible stars (one decimal) and
    the most recent visible reviews (hidden ones count nowhere)."""
    visible = ratings_visible(listing=listing)
    aggregate = visible.aggregate(count=Count("pk"), avg=Avg("stars"))
    average = aggregate["avg"]
    return RatingSummary(
        count=int(aggregate["count"]),
        average=None if average is None else Decimal(str(average)).quantize(Decimal("0.1")),
        recent=list(visible[:recent]),
    )


def consultation_by_id(consultation_id: uuid.UUID | str) -> Consultation:
    return Consultation.objects.select_related("client", "partner", "listing", "platform").get(
        pk=consultation_id
    )


# --- the meter's state ------------------------------------------------------------------


def pauses_recorded(consultation: Consultation) -> list[pauses.Pause]:
    """The meter's pauses and connection gaps (none without the pause policy and
    without a gap: no query then)."""
    if not consultation.pause_max_seconds and not consultation.outage_seconds:
        return []
    return [
        pauses.Pause(
            started_at=pause.started_at,
            ended_at=pause.ended_at,
            capped=pause.kind != ConsultationPause.Kind.OUTAGE,
        )
        for pause in ConsultationPause.objects.filter(consultation=consultation)
    ]


def cut_off_at(consultation: Consultation, recorded: list[pauses.Pause] | None = None) -> datetime:
    """The wall moment the paid time runs out: start + paid seconds, later by the
    counted pauses (`consultations.pauses`)."""
    assert consultation.started_at is not None
    return pauses.cut_off_moment(
        started_at=consultation.started_at,
        paid_seconds=consultation.paid_seconds,
        pauses=pauses_recorded(consultation) if recorded is None else recorded,
        cap_seconds=consultation.pause_max_seconds,
    )


def meter_state(consultation: Consultation) -> MeterState:
    """What both screens need to run the meter: a JSON-able snapshot."""
    recorded = pauses_recorded(consultation)
    return {
        "consultation": str(consultation.pk),
        "status": consultation.status,
        "started_at": consultation.started_at.isoformat() if consultation.started_at else None,
        "paid_seconds": consultation.paid_seconds,
        "max_duration_seconds": consultation.max_duration_seconds,
        "held_minor": consultation.held_minor,
        "rate_minor": consultation.rate_minor,
        "increment": consultation.tariff.label,
        "grace_seconds": consultation.grace_seconds,
        "connect_fee_minor": consultation.connect_fee_minor,
        "currency": consultation.currency,
        # The pause policy: allowance in seconds (0: the meter never pauses), whether it
        # is paused now, and the wall moment of the cut-off (start + paid seconds
        # without pauses).
        "pause_max_seconds": consultation.pause_max_seconds,
        "paused": any(pause.ended_at is None for pause in recorded),
        "cut_off_at": (
            cut_off_at(consultation, recorded).isoformat() if consultation.started_at else None
        ),
    }


def ended_state(consultation: Consultation) -> EndedState:
    return {
        "consultation": str(consultation.pk),
        "status": consultation.status,
        "reason": consultation.end_reason,
        "duration_seconds": consultation.duration_seconds,
        "billed_seconds": consultation.billed_seconds,
        "amount_minor": consultation.amount_minor,
        "currency": consultation.currency,
    }


# --- what the sockets load --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Room:
    """What a room socket loads at connect."""

    consultation: Consultation
    role: Role
    policy: RoomPolicy
    transcript: list[ChatLine]
    state: MeterState


def room_for_user(*, consultation_id: uuid.UUID | str, user: User) -> Room:
    """The consultation, the user's role in it, the platform's timing rules, the
    transcript and the meter's state; `NotParticipant` / `ConsultationNotFound` as
    `consultation_for_user`. One transaction (a socket's connect reads it all at once)."""
    with transaction.atomic():
        return _room(consultation_id=consultation_id, user=user)


def _room(*, consultation_id: uuid.UUID | str, user: User) -> Room:
    participation = consultation_for_user(consultation_id=consultation_id, user=user)
    consultation = participation.consultation
    policy = policy_for(consultation.platform)
    return Room(
        consultation=consultation,
        role=participation.role,
        policy=RoomPolicy(
            warnings=policy.warnings,
            heartbeat_timeout=policy.heartbeat_timeout_seconds,
            request_timeout=policy.request_timeout_seconds,
            meter_interval=policy.meter_interval_seconds,
        ),
        transcript=[
            {"sender": message.sender, "body": message.body, "at": message.sent_at.isoformat()}
            for message in transcript(consultation=consultation)
        ],
        state=meter_state(consultation),
    )


def partner_for_user(user: User | AnonymousUser | None) -> Partner | None:
    if user is None or not user.is_authenticated:
        return None
    return Partner.objects.filter(user=user).first()


def consultation_of_partner(*, partner: Partner, consultation_id: str) -> Consultation:
    """One of the partner's consultations; `NotParticipant` for any other id."""
    consultation = Consultation.objects.filter(pk=consultation_id, partner=partner).first()
    if consultation is None:
        raise NotParticipant()
    return consultation


def request_summary(consultation_id: uuid.UUID | str) -> RequestSummary | None:
    """An open request as the partner's request channel shows it (None once answered)."""
    consultation = (
        Consultation.objects.select_related("listing", "platform", "client")
        .filter(pk=consultation_id)
        .first()
    )
    if consultation is None or consultation.status != Consultation.Status.REQUESTED:
        return None
    policy = policy_for(consultation.platform)
    return {
        "consultation": str(consultation.pk),
        "platform": consultation.platform.name,
        "listing": consultation.listing.display_name,
        "client": client_pseudonym(consultation=consultation),
        "channel": consultation.channel,
        "rate_minor": consultation.rate_minor,
        "currency": consultation.currency,
        "requested_at": consultation.requested_at.isoformat(),
        "expires_at": (
            consultation.requested_at + timedelta(seconds=policy.request_timeout_seconds)
        ).isoformat(),
    }


def request_summaries_open(*, partner: Partner) -> list[RequestSummary]:
    result = []
    for consultation in open_requests_for(partner=partner):
        summary = request_summary(str(consultation.pk))
        if summary is not None:
            result.append(summary)
    return result


def platform_for_socket_host(host: str) -> Platform | None:
    """The platform of a socket's Host header; None for an unknown or inactive host."""
    try:
        return platform_for_host(host=normalise_host(host))
    except DomainError:
        return None


@dataclass(frozen=True, slots=True)
class FavouriteEntry:
    listing: Listing
    status: str  # online / busy / offline
    alert_open: bool


def favourites_of(*, client: ClientAccount) -> list[FavouriteEntry]:
    """The client's starred listings, newest first, with their availability now and
    whether an online alert waits."""
    favourites = list(
        Favourite.objects.filter(client_account=client, listing__is_published=True)
        .select_related("listing__platform")
        .order_by("-created_at")
    )
    ids = [f.listing_id for f in favourites]
    status = listings_availability(client.platform, listing_ids=ids)
    alerts = set(
        OnlineAlert.objects.filter(
            client_account=client, listing_id__in=ids, sent_at__isnull=True
        ).values_list("listing_id", flat=True)
    )
    return [
        FavouriteEntry(
            listing=f.listing,
            status=status.get(f.listing_id, Availability.OFFLINE),
            alert_open=f.listing_id in alerts,
        )
        for f in favourites
    ]


def favourite_state(*, client: ClientAccount, listing: Listing) -> tuple[bool, bool]:
    """(starred, an online alert waits) for one listing."""
    return (
        Favourite.objects.filter(client_account=client, listing=listing).exists(),
        OnlineAlert.objects.filter(
            client_account=client, listing=listing, sent_at__isnull=True
        ).exists(),
    )
