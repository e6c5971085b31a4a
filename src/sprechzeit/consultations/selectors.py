"""Reads of consultations: tariff policy, availability, participants, records."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db.models import Avg, Count, QuerySet

from sprechzeit.accounts.models import Listing, Partner, User
from sprechzeit.consultations.errors import ConsultationNotFound, NotParticipant
from sprechzeit.consultations.models import (
    ChatMessage,
    Consultation,
    PartnerPresence,
    PlatformTariffPolicy,
    Rating,
)
from sprechzeit.platforms.models import Platform


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


@dataclass(frozen=True, slots=True)
class Participation:
    consultation: Consultation
    role: str  # "client" or "partner"


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


@dataclass(frozen=True, slots=True)
class RatingSummary:
    count: int
    average: Decimal | None
    recent: list[Rating]


def listing_rating_summary(*, listing: Listing, recent: int = 5) -> RatingSummary:
    """What a listing page shows: the average of all stars (one decimal) and the most
    recent reviews."""
    aggregate = Rating.objects.filter(listing=listing).aggregate(
        count=Count("pk"), avg=Avg("stars")
    )
    average = aggregate["avg"]
    return RatingSummary(
        count=int(aggregate["count"]),
        average=None if average is None else Decimal(str(average)).quantize(Decimal("0.1")),
        recent=list(Rating.objects.filter(listing=listing).order_by("-created_at")[:recent]),
    )
