"""Video consultations: a listing's video offer (on/off and its own rate within the
platform's limits) and the fall-back of a video consultation to chat when the media
fail. Billing is the chat's: the room socket meters, warns, cuts off and books a video
consultation exactly like a chat (docs/consultations.md, "Video")."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction

from sprechzeit.accounts.models import Listing
from sprechzeit.consultations import events
from sprechzeit.consultations.errors import (
    ConsultationError,
    InvalidMessage,
    InvalidTransition,
    TariffOutOfRange,
    VideoNotOffered,
)
from sprechzeit.consultations.locks import consultation_lock_against_racing_transitions
from sprechzeit.consultations.media import FALLBACK_REASONS
from sprechzeit.consultations.models import Consultation
from sprechzeit.consultations.protocol import Role
from sprechzeit.consultations.selectors import policy_for
from sprechzeit.consultations.services.common import moment_of
from sprechzeit.core.money import Money
from sprechzeit.platforms.models import Platform


@dataclass(frozen=True, slots=True)
class VideoLimits:
    allowed: bool
    rate_min_minor: int
    rate_max_minor: int


def video_limits(platform: Platform) -> VideoLimits:
    """Whether the platform allows video, and the range of a listing's video rate (the
    policy's own range, else the platform's price range)."""
    policy = policy_for(platform)
    return VideoLimits(
        allowed=policy.video_enabled,
        rate_min_minor=policy.video_rate_min_minor or platform.rate_min_minor,
        rate_max_minor=policy.video_rate_max_minor or platform.rate_max_minor,
    )


def video_rate_check(*, platform: Platform, rate_minor: int) -> None:
    """`VideoNotOffered` where the platform allows no video, `TariffOutOfRange` for a
    rate outside its limits."""
    limits = video_limits(platform)
    if not limits.allowed:
        raise VideoNotOffered()
    if not limits.rate_min_minor <= rate_minor <= limits.rate_max_minor:
        raise TariffOutOfRange(
            rate_minor=rate_minor, min_minor=limits.rate_min_minor, max_minor=limits.rate_max_minor
        )


def listing_video_set(*, listing: Listing, enabled: bool, rate_minor: int | None) -> Listing:
    """The partner offers video on this listing at `rate_minor` per minute (checked
    against the platform's limits), or stops offering it (the rate is kept)."""
    if enabled:
        if rate_minor is None:
            raise TariffOutOfRange(rate_minor=0)
        video_rate_check(platform=listing.platform, rate_minor=rate_minor)
    listing.video_enabled = enabled
    if rate_minor is not None:
        listing.video_rate_minor = rate_minor
    listing.save(update_fields=["video_enabled", "video_rate_minor"])
    return listing


def listing_video_rate(listing: Listing) -> int:
    """The video rate a request freezes; `VideoNotOffered` when the listing does not
    offer video (or the platform no longer allows it), `TariffOutOfRange` when the rate
    left the platform's limits since."""
    if not listing.video_enabled or not listing.video_rate_minor:
        raise VideoNotOffered()
    video_rate_check(platform=listing.platform, rate_minor=listing.video_rate_minor)
    return listing.video_rate_minor


def listing_video_offer(listing: Listing) -> Money | None:
    """The video rate a client may start at now (a read for the profile), else None."""
    try:
        return Money(listing_video_rate(listing), listing.platform.currency)
    except ConsultationError:
        return None


def consultation_media_fallback(
    *, consultation: Consultation, role: Role, reason: str, now: datetime | None = None
) -> tuple[Consultation, bool]:
    """The media of a video consultation failed on one side: it goes on as a chat, in
    the same consultation (same tariff, same meter). Recorded once (the first reason
    counts); both screens hear `media.fallback` after commit. Returns the consultation
    and whether this call recorded it."""
    if reason not in FALLBACK_REASONS:
        raise InvalidMessage(field="reason")
    moment = moment_of(now)
    with transaction.atomic(durable=True):
        consultation = consultation_lock_against_racing_transitions(consultation=consultation)
        if consultation.channel != Consultation.Channel.VIDEO or consultation.status not in (
            Consultation.OPEN
        ):
            raise InvalidTransition(status=consultation.status)
        if consultation.media_fallback_at is not None:
            return consultation, False
        consultation.media_fallback_at = moment
        consultation.media_fallback_reason = reason
        consultation.save(update_fields=["media_fallback_at", "media_fallback_reason"])
        events.send_on_commit(
            events.consultation_group(consultation.pk),
            {"type": "media.fallback", "role": role, "reason": reason, "at": moment.isoformat()},
        )
    return consultation, True
