"""The lifecycle of a consultation: request → accept (live) → end (settled in the same
transaction); decline, miss, cancel; the phone call's answer.

Each step checks where it may come from, takes the consultation's row lock
(`locks.consultation_lock_against_racing_transitions`) and runs in one durable
transaction. Money moves only through `consultations.billing`; pushes to screens go out
after commit (`events`). Every service takes `now` so the realtime edge and the
simulator can drive time; it defaults to `core.clock.now()`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Literal

from django.db import IntegrityError, transaction

from sprechzeit.accounts.models import ClientAccount, Listing, Partner, User
from sprechzeit.accounts.vat_place import ClientVatCase
from sprechzeit.consultations import billing, events
from sprechzeit.consultations.errors import (
    ClientBlocked,
    ConsultationAlreadyOpen,
    InsufficientBalance,
    NotParticipant,
    PartnerBusy,
    PartnerUnavailable,
    TariffOutOfRange,
    WrongPlatform,
)
from sprechzeit.consultations.locks import consultation_lock_against_racing_transitions
from sprechzeit.consultations.models import Consultation, PartnerPresence, VoiceCall
from sprechzeit.consultations.selectors import partner_is_busy, policy_for
from sprechzeit.consultations.services.common import (
    consultation_state_push,
    moment_of,
    partner_presence_push,
    status_require,
)
from sprechzeit.consultations.services.metering import consultation_end_and_settle_locked
from sprechzeit.consultations.services.video import listing_video_rate
from sprechzeit.consultations.tariff import (
    tariff_first_increment_cost,
    tariff_max_seconds,
    tariff_rate,
)

Status = Consultation.Status


def consultation_request(
    *,
    client: ClientAccount,
    listing: Listing,
    channel: str = Consultation.Channel.CHAT,
    now: datetime | None = None,
) -> Consultation:
    """A client asks a listed partner for a consultation; the tariff is frozen now.

    Refuses (typed errors, nothing written) a blocked client, a listing of another
    platform, a price outside the platform's limits, an offline or busy partner, a
    client with an open consultation, and a balance below the first increment plus the
    connect fee. The partner's request channel hears about it after commit.
    """
    moment = moment_of(now)
    user: User = client.user
    if not user.is_active:
        raise ClientBlocked()
    billing.client_check_spend(client=client)
    _request_check(client=client, listing=listing, channel=channel)
    partner = listing.partner
    consultation = _consultation_draft(
        client=client, listing=listing, channel=channel, moment=moment
    )
    needed = tariff_first_increment_cost(tariff=consultation.tariff)
    available = billing.client_available(client=client, currency=listing.platform.currency)
    if available < needed:
        raise InsufficientBalance(needed_minor=needed.minor, available_minor=available.minor)
    try:
        with transaction.atomic(durable=True):
            consultation.save(force_insert=True)
            events.send_on_commit(
                events.partner_group(partner.pk),
                {"type": "request.new", "consultation": str(consultation.pk)},
            )
            partner_presence_push(partner)
    except IntegrityError as exc:
        # A concurrent request won the race for the client or the partner.
        if Consultation.objects.filter(client=client, status__in=Consultation.OPEN).exists():
            raise ConsultationAlreadyOpen() from exc
        raise PartnerBusy() from exc
    return consultation


def _request_check(*, client: ClientAccount, listing: Listing, channel: str) -> None:
    """The listing may be asked by this client now (typed errors otherwise)."""
    platform = listing.platform
    if client.platform_id != listing.platform_id:
        raise WrongPlatform()
    if not listing.is_published or listing.partner.suspended_at is not None:
        raise PartnerUnavailable()
    if channel == Consultation.Channel.VIDEO:
        listing_video_rate(listing)  # offered, allowed, within the limits
    elif not platform.rate_min_minor <= listing.rate_minor <= platform.rate_max_minor:
        raise TariffOutOfRange(
            rate_minor=listing.rate_minor,
            min_minor=platform.rate_min_minor,
            max_minor=platform.rate_max_minor,
        )
    partner = listing.partner
    presence = PartnerPresence.objects.filter(partner=partner).first()
    if presence is None or presence.status != PartnerPresence.Status.ONLINE:
        raise PartnerUnavailable()
    if Consultation.objects.filter(client=client, status__in=Consultation.OPEN).exists():
        raise ConsultationAlreadyOpen()
    if partner_is_busy(partner=partner):
        raise PartnerBusy()


def _consultation_draft(
    *, client: ClientAccount, listing: Listing, channel: str, moment: datetime
) -> Consultation:
    """The unsaved request with the tariff frozen from the listing and the platform's
    policy."""
    platform = listing.platform
    policy = policy_for(platform)
    return Consultation(
        platform=platform,
        listing=listing,
        partner=listing.partner,
        client=client,
        channel=channel,
        requested_at=moment,
        currency=platform.currency,
        rate_minor=(
            listing_video_rate(listing)
            if channel == Consultation.Channel.VIDEO
            else listing.rate_minor
        ),
        increment_first_seconds=policy.increment_first_seconds,
        increment_next_seconds=policy.increment_next_seconds,
        grace_seconds=policy.grace_seconds,
        connect_fee_minor=policy.connect_fee_minor,
        vat_rate=platform.vat_rate if client.vat_case == ClientVatCase.DOMESTIC else Decimal(0),
        vat_case=client.vat_case,
        revenue_share=(
            listing.revenue_share
            if listing.revenue_share is not None
            else platform.default_revenue_share
        ),
        max_duration_seconds=policy.max_duration_seconds,
        pause_max_seconds=(
            policy.pause_max_seconds
            if policy.pause_on_top_up and channel != Consultation.Channel.PHONE
            else 0
        ),
    )


@dataclass(frozen=True, slots=True)
class AcceptOutcome:
    consultation: Consultation
    started: bool


def consultation_accept(
    *, consultation: Consultation, partner: Partner, now: datetime | None = None
) -> Consultation:
    """The partner accepts: the consultation goes live and a hold reserves the client's
    available balance, up to what the maximum length costs. The paid seconds (the
    cut-off) follow from the held amount by `tariff_max_seconds`.

    If the balance no longer covers the first increment, the request is cancelled and
    `InsufficientBalance` raised (nothing held).
    """
    moment = moment_of(now)
    with transaction.atomic(durable=True):
        consultation = consultation_lock_against_racing_transitions(consultation=consultation)
        if consultation.partner_id != partner.pk:
            raise NotParticipant()
        status_require(consultation, Status.REQUESTED)
        tariff = consultation.tariff
        available = billing.client_available(
            client=consultation.client, currency=consultation.currency
        )
        cap = tariff_rate(seconds=consultation.max_duration_seconds, tariff=tariff)
        amount = min(available, cap)
        if amount < tariff_first_increment_cost(tariff=tariff):
            consultation.status = Status.CANCELLED
            consultation.ended_at = moment
            consultation.save(update_fields=["status", "ended_at"])
            consultation_state_push(consultation, "consultation.cancelled")
            outcome = AcceptOutcome(consultation=consultation, started=False)
        else:
            billing.hold_add(consultation=consultation, amount=amount, seq=1, now=moment)
            consultation.held_minor = amount.minor
            consultation.paid_seconds = min(
                tariff_max_seconds(amount=amount, tariff=tariff),
                consultation.max_duration_seconds,
            )
            consultation.status = Status.LIVE
            consultation.started_at = moment
            consultation.save(update_fields=["held_minor", "paid_seconds", "status", "started_at"])
            PartnerPresence.objects.filter(partner=partner).update(missed_in_row=0)
            consultation_state_push(consultation, "consultation.started")
            outcome = AcceptOutcome(consultation=consultation, started=True)
    if not outcome.started:
        raise InsufficientBalance(consultation=str(consultation.pk))
    return outcome.consultation


def consultation_decline(
    *, consultation: Consultation, partner: Partner, now: datetime | None = None
) -> Consultation:
    """The partner declines a request; nothing was held, nothing is booked."""
    moment = moment_of(now)
    with transaction.atomic(durable=True):
        consultation = consultation_lock_against_racing_transitions(consultation=consultation)
        if consultation.partner_id != partner.pk:
            raise NotParticipant()
        _request_close(consultation, Status.DECLINED, "consultation.declined", moment)
    return consultation


def consultation_cancel(
    *, consultation: Consultation, client: ClientAccount, now: datetime | None = None
) -> Consultation:
    """The client withdraws a request before it is accepted."""
    moment = moment_of(now)
    with transaction.atomic(durable=True):
        consultation = consultation_lock_against_racing_transitions(consultation=consultation)
        if consultation.client_id != client.pk:
            raise NotParticipant()
        _request_close(consultation, Status.CANCELLED, "consultation.cancelled", moment)
    return consultation


def _request_close(
    consultation: Consultation,
    status: str,
    event_type: Literal["consultation.declined", "consultation.cancelled"],
    moment: datetime,
) -> None:
    """A request that never went live closes; caller holds the row lock."""
    status_require(consultation, Status.REQUESTED)
    consultation.status = status
    consultation.ended_at = moment
    consultation.save(update_fields=["status", "ended_at"])
    consultation_state_push(consultation, event_type)
    partner_presence_push(consultation.partner)


def consultation_miss(*, consultation: Consultation, now: datetime | None = None) -> Consultation:
    """A request unanswered for the platform's request timeout (60 s) is missed. After
    `missed_requests_offline` misses in a row the partner is set offline.

    Idempotent: a request that was answered meanwhile, or is not yet due, is returned
    unchanged.
    """
    moment = moment_of(now)
    with transaction.atomic(durable=True):
        consultation = consultation_lock_against_racing_transitions(consultation=consultation)
        policy = policy_for(consultation.platform)
        due = consultation.requested_at + timedelta(seconds=policy.request_timeout_seconds)
        if consultation.status != Status.REQUESTED or moment < due:
            return consultation
        consultation.status = Status.MISSED
        consultation.ended_at = moment
        consultation.save(update_fields=["status", "ended_at"])
        presence, _created = PartnerPresence.objects.select_for_update().get_or_create(
            partner_id=consultation.partner_id,
            defaults={"status": PartnerPresence.Status.OFFLINE, "changed_at": moment},
        )
        presence.missed_in_row += 1
        if presence.missed_in_row >= policy.missed_requests_offline:
            presence.status = PartnerPresence.Status.OFFLINE
            presence.changed_at = moment
        presence.save(update_fields=["missed_in_row", "status", "changed_at"])
        consultation_state_push(consultation, "consultation.missed")
        partner_presence_push(consultation.partner)
    return consultation


def consultation_phone_answered(
    *, consultation: Consultation, now: datetime | None = None
) -> Consultation:
    """The partner answered a phone consultation: the paid time counts from now, as the
    call's reported duration (what is settled) does. Only the first report counts;
    later ones, and consultations that are not live phone calls, change nothing."""
    moment = moment_of(now)
    with transaction.atomic(durable=True):
        consultation = consultation_lock_against_racing_transitions(consultation=consultation)
        if (
            consultation.status != Status.LIVE
            or consultation.channel != Consultation.Channel.PHONE
            or consultation.started_at is None
        ):
            return consultation
        call = VoiceCall.objects.select_for_update().filter(consultation=consultation).first()
        if call is None or call.answered_at is not None:
            return consultation
        call.answered_at = moment
        call.save(update_fields=["answered_at"])
        if moment > consultation.started_at:
            consultation.started_at = moment
            consultation.save(update_fields=["started_at"])
    return consultation


def consultation_end(
    *,
    consultation: Consultation,
    reason: str,
    at_second: float | None = None,
    now: datetime | None = None,
) -> Consultation:
    """End a live consultation and settle it in the same transaction (one commit).

    The end is `at_second` (the server's cut-off second, or the last confirmed
    heartbeat, in wall seconds since the start) or else the whole seconds elapsed until
    `now`; the billed duration is the metered seconds up to it (without pauses: the
    same) and never exceeds the paid seconds, so the amount never exceeds the hold.
    Idempotent: ending an ended or settled consultation returns it unchanged and books
    nothing.
    """
    moment = moment_of(now)
    with transaction.atomic(durable=True):
        consultation = consultation_lock_against_racing_transitions(consultation=consultation)
        if consultation.status in (Status.ENDED, Status.SETTLED):
            return consultation
        status_require(consultation, Status.LIVE)
        consultation_end_and_settle_locked(
            consultation=consultation, reason=reason, at_second=at_second, moment=moment
        )
    return consultation
