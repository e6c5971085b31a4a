"""Writes of consultations: presence, the lifecycle (request → accept → end → settle,
decline, miss, cancel), extension after a top-up, chat, ratings and the reaper.

Each lifecycle step is one service that checks where it may come from, takes the
consultation's row lock and runs in one durable transaction. Money moves only through
`consultations.billing`; pushes to screens go out after commit (`events`).
Every service takes `now` so the realtime edge and the simulator can drive time; it
defaults to `core.clock.now()`.
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction

from sprechzeit.accounts.models import ClientAccount, Listing, Partner, User
from sprechzeit.consultations import billing, events, pauses
from sprechzeit.consultations.errors import (
    ClientBlocked,
    ConsultationAlreadyOpen,
    InsufficientBalance,
    InvalidMessage,
    InvalidTransition,
    NotParticipant,
    PartnerBusy,
    PartnerUnavailable,
    PauseNotAllowed,
    RatingNotAllowed,
    TariffOutOfRange,
    WrongPlatform,
)
from sprechzeit.consultations.heartbeats import ROLES, heartbeats_last
from sprechzeit.consultations.models import (
    ChatMessage,
    Consultation,
    ConsultationPause,
    PartnerPresence,
    Rating,
    VoiceCall,
)
from sprechzeit.consultations.selectors import partner_is_busy, policy_for
from sprechzeit.consultations.tariff import (
    tariff_billed_seconds,
    tariff_first_increment_cost,
    tariff_max_seconds,
    tariff_rate,
)
from sprechzeit.core import clock

MAX_MESSAGE_LENGTH = 4000
MIN_RATED_PAID_SECONDS = 180

Status = Consultation.Status


def _now(now: datetime | None) -> datetime:
    return now if now is not None else clock.now()


def _locked(consultation: Consultation) -> Consultation:
    """Reload `consultation` under its row lock (the race it prevents: two ends, or an
    end and an extension, at once). Caller holds the transaction."""
    return (
        Consultation.objects.select_for_update()
        .select_related("client", "listing", "partner", "platform")
        .get(pk=consultation.pk)
    )


def _require(consultation: Consultation, *allowed: str) -> None:
    if consultation.status not in allowed:
        raise InvalidTransition(status=consultation.status, allowed=list(allowed))


def _pauses(consultation: Consultation) -> list[pauses.Pause]:
    """The meter's pauses (none without the pause policy: no query then)."""
    if not consultation.pause_max_seconds:
        return []
    return [
        pauses.Pause(started_at=pause.started_at, ended_at=pause.ended_at)
        for pause in ConsultationPause.objects.filter(consultation=consultation)
    ]


def cut_off_at(consultation: Consultation, recorded: list[pauses.Pause] | None = None) -> datetime:
    """The wall moment the paid time runs out: start + paid seconds, later by the
    counted pauses (`consultations.pauses`)."""
    assert consultation.started_at is not None
    return pauses.cut_off_moment(
        started_at=consultation.started_at,
        paid_seconds=consultation.paid_seconds,
        pauses=_pauses(consultation) if recorded is None else recorded,
        cap_seconds=consultation.pause_max_seconds,
    )


def _metered(consultation: Consultation, moment: datetime, recorded: list[pauses.Pause]) -> int:
    assert consultation.started_at is not None
    return pauses.metered_seconds(
        started_at=consultation.started_at,
        pauses=recorded,
        moment=moment,
        cap_seconds=consultation.pause_max_seconds,
    )


def meter_state(consultation: Consultation) -> dict[str, Any]:
    """What both screens need to run the meter: a JSON-able snapshot."""
    recorded = _pauses(consultation)
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


def ended_state(consultation: Consultation) -> dict[str, Any]:
    return {
        "consultation": str(consultation.pk),
        "status": consultation.status,
        "reason": consultation.end_reason,
        "duration_seconds": consultation.duration_seconds,
        "billed_seconds": consultation.billed_seconds,
        "amount_minor": consultation.amount_minor,
        "currency": consultation.currency,
    }


# --- presence ---------------------------------------------------------------------------


def presence_set(*, partner: Partner, status: str, now: datetime | None = None) -> PartnerPresence:
    """Set a partner online or offline on every platform; going online clears the count
    of missed requests. Directory pages hear about it after commit."""
    status = PartnerPresence.Status(status)
    moment = _now(now)
    with transaction.atomic():
        presence, _created = PartnerPresence.objects.select_for_update().get_or_create(
            partner=partner, defaults={"status": status, "changed_at": moment}
        )
        presence.status = status
        presence.changed_at = moment
        if status == PartnerPresence.Status.ONLINE:
            presence.missed_in_row = 0
        presence.save(update_fields=["status", "changed_at", "missed_in_row"])
        _presence_push(partner)
    return presence


def _presence_push(partner: Partner) -> None:
    for platform_id in partner.listings.values_list("platform_id", flat=True):
        events.send_on_commit(
            events.presence_group(platform_id),
            {"type": "presence.changed", "partner": partner.pk},
        )


# --- lifecycle --------------------------------------------------------------------------


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
    moment = _now(now)
    platform = listing.platform
    user: User = client.user
    if not user.is_active:
        raise ClientBlocked()
    billing.client_check_spend(client=client)
    if client.platform_id != listing.platform_id:
        raise WrongPlatform()
    if not listing.is_published:
        raise PartnerUnavailable()
    if not platform.rate_min_minor <= listing.rate_minor <= platform.rate_max_minor:
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
    policy = policy_for(platform)
    consultation = Consultation(
        platform=platform,
        listing=listing,
        partner=partner,
        client=client,
        channel=channel,
        requested_at=moment,
        currency=platform.currency,
        rate_minor=listing.rate_minor,
        increment_first_seconds=policy.increment_first_seconds,
        increment_next_seconds=policy.increment_next_seconds,
        grace_seconds=policy.grace_seconds,
        connect_fee_minor=policy.connect_fee_minor,
        vat_rate=platform.vat_rate,
        revenue_share=(
            listing.revenue_share
            if listing.revenue_share is not None
            else platform.default_revenue_share
        ),
        max_duration_seconds=policy.max_duration_seconds,
        pause_max_seconds=(
            policy.pause_max_seconds
            if policy.pause_on_top_up and channel == Consultation.Channel.CHAT
            else 0
        ),
    )
    needed = tariff_first_increment_cost(tariff=consultation.tariff)
    available = billing.client_available(client=client, currency=platform.currency)
    if available < needed:
        raise InsufficientBalance(needed_minor=needed.minor, available_minor=available.minor)
    try:
        with transaction.atomic(durable=True):
            consultation.save(force_insert=True)
            events.send_on_commit(
                events.partner_group(partner.pk),
                {"type": "request.new", "consultation": str(consultation.pk)},
            )
            _presence_push(partner)
    except IntegrityError as exc:
        # A concurrent request won the race for the client or the partner.
        if Consultation.objects.filter(client=client, status__in=Consultation.OPEN).exists():
            raise ConsultationAlreadyOpen() from exc
        raise PartnerBusy() from exc
    return consultation


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
    moment = _now(now)
    with transaction.atomic(durable=True):
        consultation = _locked(consultation)
        if consultation.partner_id != partner.pk:
            raise NotParticipant()
        _require(consultation, Status.REQUESTED)
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
            _push_state(consultation, "consultation.cancelled")
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
            _push_state(consultation, "consultation.started")
            outcome = AcceptOutcome(consultation=consultation, started=True)
    if not outcome.started:
        raise InsufficientBalance(consultation=str(consultation.pk))
    return outcome.consultation


def _push_state(consultation: Consultation, event_type: str) -> None:
    state = (
        ended_state(consultation)
        if consultation.status in (Status.ENDED, Status.SETTLED)
        else meter_state(consultation)
    )
    events.send_on_commit(
        events.consultation_group(consultation.pk), {"type": event_type, "state": state}
    )
    events.send_on_commit(
        events.partner_group(consultation.partner_id),
        {
            "type": "request.closed",
            "consultation": str(consultation.pk),
            "status": consultation.status,
        },
    )


def consultation_decline(
    *, consultation: Consultation, partner: Partner, now: datetime | None = None
) -> Consultation:
    """The partner declines a request; nothing was held, nothing is booked."""
    moment = _now(now)
    with transaction.atomic(durable=True):
        consultation = _locked(consultation)
        if consultation.partner_id != partner.pk:
            raise NotParticipant()
        _require(consultation, Status.REQUESTED)
        consultation.status = Status.DECLINED
        consultation.ended_at = moment
        consultation.save(update_fields=["status", "ended_at"])
        _push_state(consultation, "consultation.declined")
        _presence_push(consultation.partner)
    return consultation


def consultation_cancel(
    *, consultation: Consultation, client: ClientAccount, now: datetime | None = None
) -> Consultation:
    """The client withdraws a request before it is accepted."""
    moment = _now(now)
    with transaction.atomic(durable=True):
        consultation = _locked(consultation)
        if consultation.client_id != client.pk:
            raise NotParticipant()
        _require(consultation, Status.REQUESTED)
        consultation.status = Status.CANCELLED
        consultation.ended_at = moment
        consultation.save(update_fields=["status", "ended_at"])
        _push_state(consultation, "consultation.cancelled")
        _presence_push(consultation.partner)
    return consultation


def consultation_miss(*, consultation: Consultation, now: datetime | None = None) -> Consultation:
    """A request unanswered for the platform's request timeout (60 s) is missed. After
    `missed_requests_offline` misses in a row the partner is set offline.

    Idempotent: a request that was answered meanwhile, or is not yet due, is returned
    unchanged.
    """
    moment = _now(now)
    with transaction.atomic(durable=True):
        consultation = _locked(consultation)
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
        _push_state(consultation, "consultation.missed")
        _presence_push(consultation.partner)
    return consultation


def consultation_extend(*, consultation: Consultation, now: datetime | None = None) -> Consultation:
    """After a top-up: hold what became available (up to the maximum length's cost) and
    move the cut-off. A no-op when nothing more is available, when the consultation is
    not live, or when its paid time has already run out. One commit per extension."""
    moment = _now(now)
    with transaction.atomic(durable=True):
        consultation = _locked(consultation)
        _extend_locked(consultation, moment)
    return consultation


def consultations_extend_after_credit(
    *, client_account_id: int, now: datetime | None = None
) -> list[Consultation]:
    """A credit raised the client's available balance (top-up, matched bank transfer,
    bonus): extend the client's live consultations at once, so a top-up in the last
    seconds is never lost. Phone consultations are extended only when the server cuts
    the call off itself (`VoiceCall.server_cut_off`); a call limited by `<Dial
    timeLimit>` cannot be extended. Returns the consultations whose cut-off moved."""
    moment = _now(now)
    extended = []
    live = Consultation.objects.filter(client_id=client_account_id, status=Status.LIVE)
    for consultation in live.order_by("started_at"):
        if (
            consultation.channel == Consultation.Channel.PHONE
            and not VoiceCall.objects.filter(
                consultation=consultation, server_cut_off=True
            ).exists()
        ):
            continue
        before = consultation.paid_seconds
        consultation = consultation_extend(consultation=consultation, now=moment)
        if consultation.paid_seconds > before:
            extended.append(consultation)
    return extended


def _extend_locked(consultation: Consultation, moment: datetime) -> bool:
    """Caller holds the row lock and the transaction. True when the cut-off moved."""
    if consultation.status != Status.LIVE or consultation.started_at is None:
        return False
    elapsed = pauses.metered_time(
        started_at=consultation.started_at,
        pauses=_pauses(consultation),
        moment=moment,
        cap_seconds=consultation.pause_max_seconds,
    )
    if elapsed > timedelta(seconds=consultation.paid_seconds + 1):
        return False
    tariff = consultation.tariff
    cap = tariff_rate(seconds=consultation.max_duration_seconds, tariff=tariff)
    available = billing.client_available(client=consultation.client, currency=consultation.currency)
    amount = min(available, cap - consultation.held)
    if amount.minor <= 0:
        return False
    held = consultation.held + amount
    paid = min(tariff_max_seconds(amount=held, tariff=tariff), consultation.max_duration_seconds)
    if paid <= consultation.paid_seconds:
        return False
    seq = consultation.holds.count() + 1
    billing.hold_add(consultation=consultation, amount=amount, seq=seq, now=moment)
    consultation.held_minor = held.minor
    consultation.paid_seconds = paid
    consultation.save(update_fields=["held_minor", "paid_seconds"])
    _push_state(consultation, "consultation.extended")
    return True


def consultation_pause(
    *, consultation: Consultation, client: ClientAccount, now: datetime | None = None
) -> Consultation:
    """The client went to the top-up page: the meter pauses (platform policy
    `pause_on_top_up`) until `consultation_resume` or the end, counted up to the
    consultation's `pause_max_seconds` in total; the cut-off moves by the counted pause.

    Idempotent while paused. Raises `PauseNotAllowed` without the policy, after the
    cut-off and when the allowance is used up; `NotParticipant` for anyone but the
    client; `InvalidTransition` unless live. One commit; nothing is booked.
    """
    moment = _now(now)
    with transaction.atomic(durable=True):
        consultation = _locked(consultation)
        if consultation.client_id != client.pk:
            raise NotParticipant()
        _require(consultation, Status.LIVE)
        if not consultation.pause_max_seconds:
            raise PauseNotAllowed(reason="policy")
        recorded = _pauses(consultation)
        if any(pause.ended_at is None for pause in recorded):
            return consultation
        if moment >= cut_off_at(consultation, recorded):
            raise PauseNotAllowed(reason="cut_off")
        assert consultation.started_at is not None
        used = pauses.paused_time(
            started_at=consultation.started_at,
            pauses=recorded,
            moment=moment,
            cap_seconds=consultation.pause_max_seconds,
        )
        if used >= timedelta(seconds=consultation.pause_max_seconds):
            raise PauseNotAllowed(reason="used_up")
        ConsultationPause.objects.create(consultation=consultation, started_at=moment)
    return consultation


def consultation_resume(
    *, consultation: Consultation, client: ClientAccount, now: datetime | None = None
) -> Consultation:
    """The client is back from the top-up page: the open pause ends and what became
    available is held at once (one commit for both). Idempotent: without an open pause
    nothing changes (an extension is still tried)."""
    moment = _now(now)
    with transaction.atomic(durable=True):
        consultation = _locked(consultation)
        if consultation.client_id != client.pk:
            raise NotParticipant()
        for pause in ConsultationPause.objects.filter(consultation=consultation, ended_at=None):
            pause.ended_at = max(pause.started_at, moment)
            pause.save(update_fields=["ended_at"])
        _extend_locked(consultation, moment)
    return consultation


def consultation_phone_answered(
    *, consultation: Consultation, now: datetime | None = None
) -> Consultation:
    """The partner answered a phone consultation: the paid time counts from now, as the
    call's reported duration (what is settled) does. Only the first report counts;
    later ones, and consultations that are not live phone calls, change nothing."""
    moment = _now(now)
    with transaction.atomic(durable=True):
        consultation = _locked(consultation)
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


def consultation_cut_off(
    *, consultation: Consultation, now: datetime | None = None
) -> Consultation:
    """The paid time has run out: extend if a top-up arrived meanwhile, else end at
    exactly the paid second (reason: balance, or the maximum length). Called by the
    server's timer of every socket; idempotent, and a consultation whose cut-off has
    not come yet is returned unchanged."""
    moment = _now(now)
    with transaction.atomic(durable=True):
        consultation = _locked(consultation)
        if consultation.status != Status.LIVE or consultation.started_at is None:
            return consultation
        due = cut_off_at(consultation)
        if moment < due:
            return consultation
        if _extend_locked(consultation, moment):
            return consultation
        reason = (
            Consultation.EndReason.MAX_DURATION
            if consultation.paid_seconds >= consultation.max_duration_seconds
            else Consultation.EndReason.BALANCE
        )
        _end_locked(consultation, reason, (due - consultation.started_at).total_seconds(), moment)
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
    same) and never exceeds the paid seconds, so the amount never exceeds the hold. Idempotent: ending an ended or settled
    consultation returns it unchanged and books nothing.
    """
    moment = _now(now)
    with transaction.atomic(durable=True):
        consultation = _locked(consultation)
        if consultation.status in (Status.ENDED, Status.SETTLED):
            return consultation
        _require(consultation, Status.LIVE)
        _end_locked(consultation, reason, at_second, moment)
    return consultation


def _end_locked(
    consultation: Consultation, reason: str, at_second: float | None, moment: datetime
) -> None:
    """Caller holds the row lock and the transaction; the consultation is live.

    `at_second` is the wall second since the start (the cut-off, a heartbeat, a call's
    duration); the billed duration is the metered seconds up to it (the same without
    pauses), at most the paid seconds. An open pause ends with the consultation."""
    assert consultation.started_at is not None
    if at_second is None:
        at_second = max(0, math.floor((moment - consultation.started_at).total_seconds()))
    recorded = _pauses(consultation)
    end = min(
        consultation.started_at + timedelta(seconds=max(0.0, at_second)),
        cut_off_at(consultation, recorded),
    )
    duration = max(0, min(_metered(consultation, end, recorded), consultation.paid_seconds))
    for pause in ConsultationPause.objects.filter(consultation=consultation, ended_at=None):
        pause.ended_at = max(pause.started_at, end)
        pause.save(update_fields=["ended_at"])
    consultation.status = Status.ENDED
    consultation.end_reason = Consultation.EndReason(reason)
    consultation.duration_seconds = duration
    consultation.ended_at = end
    consultation.save(update_fields=["status", "end_reason", "duration_seconds", "ended_at"])
    _settle(consultation, moment)
    _push_state(consultation, "consultation.ended")
    _presence_push(consultation.partner)


def consultation_settle(*, consultation: Consultation, now: datetime | None = None) -> Consultation:
    """Settle an ended consultation (normally done by `consultation_end`; this is for
    the reaper and retries). Idempotent: settling twice books once."""
    moment = _now(now)
    with transaction.atomic(durable=True):
        consultation = _locked(consultation)
        if consultation.status == Status.SETTLED:
            return consultation
        _require(consultation, Status.ENDED)
        _settle(consultation, moment)
    return consultation


def _settle(consultation: Consultation, moment: datetime) -> None:
    """Rate, split and book; caller holds the row lock and the transaction."""
    assert consultation.duration_seconds is not None
    tariff = consultation.tariff
    amount = tariff_rate(seconds=consultation.duration_seconds, tariff=tariff)
    # The cut-off guarantees this; the cap keeps "never more than held" even if a
    # caller passed a longer duration.
    amount = min(amount, consultation.held)
    split = billing.split_amount(
        gross=amount, vat_rate=consultation.vat_rate, revenue_share=consultation.revenue_share
    )
    # Bonus-funded minutes pay the partner `Platform.bonus_partner_share` of their share.
    split = billing.split_bonus_funded(consultation=consultation, split=split)
    consultation.settlement_batch_id = billing.settlement_book(
        consultation=consultation, split=split
    )
    consultation.billed_seconds = tariff_billed_seconds(
        seconds=consultation.duration_seconds, tariff=tariff
    )
    consultation.amount_minor = split.gross.minor
    consultation.vat_minor = split.vat.minor
    consultation.partner_share_minor = split.partner.minor
    consultation.platform_share_minor = split.platform.minor
    consultation.status = Status.SETTLED
    consultation.settled_at = moment
    consultation.save(
        update_fields=[
            "settlement_batch_id",
            "billed_seconds",
            "amount_minor",
            "vat_minor",
            "partner_share_minor",
            "platform_share_minor",
            "status",
            "settled_at",
        ]
    )


# --- chat and ratings -------------------------------------------------------------------


def chat_message_create(
    *, consultation: Consultation, role: str, body: str, now: datetime | None = None
) -> ChatMessage:
    """Store one chat line of a live consultation (the caller has checked that the
    sender takes part in `role`)."""
    body = body.strip()
    if not body or len(body) > MAX_MESSAGE_LENGTH:
        raise InvalidMessage(max_length=MAX_MESSAGE_LENGTH)
    if consultation.status != Status.LIVE:
        raise InvalidTransition(status=consultation.status, allowed=[Status.LIVE])
    return ChatMessage.objects.create(
        consultation=consultation,
        sender=ChatMessage.Sender(role),
        body=body,
        sent_at=_now(now),
    )


def rating_create(
    *,
    consultation: Consultation,
    client: ClientAccount,
    stars: int,
    text: str = "",
    now: datetime | None = None,
) -> Rating:
    """A client rates a settled consultation of at least three paid minutes, once."""
    if consultation.client_id != client.pk:
        raise NotParticipant()
    if (
        consultation.status != Status.SETTLED
        or (consultation.billed_seconds or 0) < MIN_RATED_PAID_SECONDS
        or not consultation.amount_minor
    ):
        raise RatingNotAllowed(min_seconds=MIN_RATED_PAID_SECONDS)
    if isinstance(stars, bool) or not isinstance(stars, int) or not 1 <= stars <= 5:
        raise RatingNotAllowed(stars=str(stars))
    try:
        with transaction.atomic():
            return Rating.objects.create(
                consultation=consultation,
                listing_id=consultation.listing_id,
                stars=stars,
                text=text.strip()[:MAX_MESSAGE_LENGTH],
                created_at=_now(now),
            )
    except IntegrityError as exc:
        raise RatingNotAllowed(reason="already_rated") from exc


# --- crash safety -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ReapResult:
    missed: int
    ended: int
    settled: int


def consultations_reap(*, now: datetime | None = None) -> ReapResult:
    """Close what no server process looks after any more.

    - requests unanswered past the request timeout are missed;
    - live chats whose last confirmed heartbeat (the earlier of both sides; the start
      when none was recorded) is older than the heartbeat timeout, or whose paid time
      ran out more than that long ago, are ended at that heartbeat (at most the paid
      seconds) and settled;
    - live phone consultations (no heartbeats: the call's callbacks end them) whose
      paid time ran out more than the heartbeat timeout ago are ended at the paid
      seconds (the call was connected for at least that long; a late callback books
      nothing more);
    - ended but unsettled consultations are settled.
    Safe to run at any time and from several places: every step is idempotent.
    """
    moment = _now(now)
    missed = ended = settled = 0
    for consultation in Consultation.objects.filter(status=Status.REQUESTED).select_related(
        "platform"
    ):
        request_timeout = policy_for(consultation.platform).request_timeout_seconds
        due = consultation.requested_at + timedelta(seconds=request_timeout)
        if moment >= due and consultation_miss(consultation=consultation, now=moment).status == (
            Status.MISSED
        ):
            missed += 1
    for consultation in Consultation.objects.filter(status=Status.LIVE).select_related("platform"):
        assert consultation.started_at is not None
        timeout = timedelta(seconds=policy_for(consultation.platform).heartbeat_timeout_seconds)
        cutoff = cut_off_at(consultation)
        confirmed: float
        if consultation.channel == Consultation.Channel.PHONE:
            if moment - cutoff < timeout:
                continue
            confirmed = (cutoff - consultation.started_at).total_seconds()
        else:
            beats = heartbeats_last(consultation_id=consultation.pk)
            last = min(beats.get(role, consultation.started_at) for role in ROLES)
            if moment - last < timeout and moment - cutoff < timeout:
                continue
            confirmed = max(
                0, math.floor((min(last, cutoff) - consultation.started_at).total_seconds())
            )
        consultation_end(
            consultation=consultation,
            reason=Consultation.EndReason.REAPER,
            at_second=confirmed,
            now=moment,
        )
        ended += 1
    for consultation in Consultation.objects.filter(status=Status.ENDED):
        consultation_settle(consultation=consultation, now=moment)
        settled += 1
    return ReapResult(missed=missed, ended=ended, settled=settled)


def consultation_by_id(consultation_id: uuid.UUID | str) -> Consultation:
    return Consultation.objects.select_related("client", "partner", "listing", "platform").get(
        pk=consultation_id
    )
