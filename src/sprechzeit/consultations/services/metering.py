"""The meter of a live consultation: extension after a top-up, the meter pause while the
client tops up (platform policy), the cut-off, and the end's settlement.

Every service here takes the consultation's row lock
(`locks.consultation_lock_against_racing_transitions`) in one durable transaction;
`consultation_end_and_settle_locked` is the one step every end goes through (the
client's or partner's end, a cut-off, a timeout, the reaper, a phone call's report).
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from django.db import transaction

from sprechzeit.accounts.models import ClientAccount
from sprechzeit.consultations import billing, events, pauses
from sprechzeit.consultations.errors import NotParticipant, PauseNotAllowed
from sprechzeit.consultations.locks import consultation_lock_against_racing_transitions
from sprechzeit.consultations.mails import consultation_mails_on_commit
from sprechzeit.consultations.models import Consultation, ConsultationPause, VoiceCall
from sprechzeit.consultations.protocol import Role
from sprechzeit.consultations.selectors import cut_off_at, meter_state, pauses_recorded
from sprechzeit.consultations.services.common import (
    consultation_ended_push,
    consultation_state_push,
    moment_of,
    partner_presence_push,
    status_require,
)
from sprechzeit.consultations.tariff import (
    tariff_billed_seconds,
    tariff_max_seconds,
    tariff_rate,
)

Status = Consultation.Status


# --- extension ----------------------------------------------------------------------------


def consultation_extend(*, consultation: Consultation, now: datetime | None = None) -> Consultation:
    """After a top-up: hold what became available (up to the maximum length's cost) and
    move the cut-off. A no-op when nothing more is available, when the consultation is
    not live, or when its paid time has already run out. One commit per extension."""
    moment = moment_of(now)
    with transaction.atomic(durable=True):
        consultation = consultation_lock_against_racing_transitions(consultation=consultation)
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
    moment = moment_of(now)
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
        pauses=pauses_recorded(consultation),
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
    consultation_state_push(consultation, "consultation.extended")
    return True


# --- the meter pause while the client tops up ---------------------------------------------


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
    moment = moment_of(now)
    with transaction.atomic(durable=True):
        consultation = consultation_lock_against_racing_transitions(consultation=consultation)
        if consultation.client_id != client.pk:
            raise NotParticipant()
        status_require(consultation, Status.LIVE)
        if not consultation.pause_max_seconds:
            raise PauseNotAllowed(reason="policy")
        recorded = pauses_recorded(consultation)
        if any(pause.ended_at is None for pause in recorded):
            return consultation
        if moment >= cut_off_at(consultation, recorded):
            raise PauseNotAllowed(reason="cut_off")
        assert consultation.started_at is not None
        used = pauses.paused_time(
            started_at=consultation.started_at,
            pauses=[pause for pause in recorded if pause.capped],
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
    moment = moment_of(now)
    with transaction.atomic(durable=True):
        consultation = consultation_lock_against_racing_transitions(consultation=consultation)
        if consultation.client_id != client.pk:
            raise NotParticipant()
        for pause in ConsultationPause.objects.filter(consultation=consultation, ended_at=None):
            pause.ended_at = max(pause.started_at, moment)
            pause.save(update_fields=["ended_at"])
        _extend_locked(consultation, moment)
    return consultation


# --- a side's connection lost and back -----------------------------------------------------

# A shorter gap between a side's last heartbeat and its return is not worth a pause.
OUTAGE_MIN_SECONDS = 1


def consultation_outage_record(
    *, consultation: Consultation, role: Role, since: datetime, now: datetime | None = None
) -> tuple[Consultation, timedelta]:
    """A side's socket is back (`now`) after its connection was lost (its node died, the
    network dropped) at `since`, its last stored heartbeat: the gap is not billed. It is
    recorded as a closed pause of kind `outage` (counted in full, beside the top-up
    allowance), the cut-off moves by it, and the room hears `consultation.reconnected`.

    Nothing is recorded (gap 0) unless a live chat, for a gap shorter than
    `OUTAGE_MIN_SECONDS`, while a top-up pause is open (the meter stands still anyway),
    or when the paid time ran out meanwhile (the cut-off books it). A gap never starts
    before the start or inside an earlier pause: the two sides' gaps after one outage
    count once. One commit."""
    moment = moment_of(now)
    with transaction.atomic(durable=True):
        consultation = consultation_lock_against_racing_transitions(consultation=consultation)
        if (
            consultation.status != Status.LIVE
            or consultation.started_at is None
            # A call runs on the phone network whatever the room page's socket does.
            or consultation.channel == Consultation.Channel.PHONE
        ):
            return consultation, timedelta(0)
        recorded = pauses_recorded(consultation)
        if any(pause.ended_at is None for pause in recorded):
            return consultation, timedelta(0)
        begin = max([since, consultation.started_at, *(p.ended_at for p in recorded if p.ended_at)])
        gap = moment - begin
        if gap < timedelta(seconds=OUTAGE_MIN_SECONDS) or moment >= cut_off_at(
            consultation, recorded
        ):
            return consultation, timedelta(0)
        ConsultationPause.objects.create(
            consultation=consultation,
            started_at=begin,
            ended_at=moment,
            kind=ConsultationPause.Kind.OUTAGE,
        )
        consultation.outage_seconds += math.ceil(gap.total_seconds())
        consultation.save(update_fields=["outage_seconds"])
        events.send_on_commit(
            events.consultation_group(consultation.pk),
            {
                "type": "consultation.reconnected",
                "role": role,
                "gap_started_at": begin.isoformat(),
                "gap_seconds": round(gap.total_seconds(), 3),
                "state": meter_state(consultation),
            },
        )
    return consultation, gap


# --- cut-off, end and settlement ----------------------------------------------------------


def consultation_cut_off(
    *, consultation: Consultation, now: datetime | None = None
) -> Consultation:
    """The paid time has run out: extend if a top-up arrived meanwhile, else end at
    exactly the paid second (reason: balance, or the maximum length). Called by the
    server's timer of every socket; idempotent, and a consultation whose cut-off has
    not come yet is returned unchanged."""
    moment = moment_of(now)
    with transaction.atomic(durable=True):
        consultation = consultation_lock_against_racing_transitions(consultation=consultation)
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
        consultation_end_and_settle_locked(
            consultation=consultation,
            reason=reason,
            at_second=(due - consultation.started_at).total_seconds(),
            moment=moment,
        )
    return consultation


def consultation_end_and_settle_locked(
    *, consultation: Consultation, reason: str, at_second: float | None, moment: datetime
) -> None:
    """End a live consultation and settle it. The caller holds the row lock
    (`consultation_lock_against_racing_transitions`) and the transaction.

    `at_second` is the wall second since the start (the cut-off, a heartbeat, a call's
    duration; None: the whole seconds until `moment`); the billed duration is the
    metered seconds up to it (the same without pauses), at most the paid seconds. An
    open pause ends with the consultation."""
    assert consultation.started_at is not None
    if at_second is None:
        # Exact here: the metered seconds below are rounded down once (after the gaps).
        at_second = max(0.0, (moment - consultation.started_at).total_seconds())
    recorded = pauses_recorded(consultation)
    end = min(
        consultation.started_at + timedelta(seconds=max(0.0, at_second)),
        cut_off_at(consultation, recorded),
    )
    metered = pauses.metered_seconds(
        started_at=consultation.started_at,
        pauses=recorded,
        moment=end,
        cap_seconds=consultation.pause_max_seconds,
    )
    duration = max(0, min(metered, consultation.paid_seconds))
    for pause in ConsultationPause.objects.filter(consultation=consultation, ended_at=None):
        pause.ended_at = max(pause.started_at, end)
        pause.save(update_fields=["ended_at"])
    consultation.status = Status.ENDED
    consultation.end_reason = Consultation.EndReason(reason)
    consultation.duration_seconds = duration
    consultation.ended_at = end
    consultation.save(update_fields=["status", "end_reason", "duration_seconds", "ended_at"])
    _settle_locked(consultation, moment)
    consultation_ended_push(consultation)
    partner_presence_push(consultation.partner)


def consultation_settle(*, consultation: Consultation, now: datetime | None = None) -> Consultation:
    """Settle an ended consultation (normally done by `consultation_end`; this is for
    the reaper and retries). Idempotent: settling twice books once."""
    moment = moment_of(now)
    with transaction.atomic(durable=True):
        consultation = consultation_lock_against_racing_transitions(consultation=consultation)
        if consultation.status == Status.SETTLED:
            return consultation
        status_require(consultation, Status.ENDED)
        _settle_locked(consultation, moment)
    return consultation


def _settle_locked(consultation: Consultation, moment: datetime) -> None:
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
    consultation_mails_on_commit(consultation=consultation)
