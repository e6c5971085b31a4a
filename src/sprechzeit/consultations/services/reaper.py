"""Crash safety: close what no server process looks after any more."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sprechzeit.consultations.heartbeats import heartbeats_last
from sprechzeit.consultations.models import Consultation
from sprechzeit.consultations.protocol import ROLES
from sprechzeit.consultations.selectors import cut_off_at, policy_for
from sprechzeit.consultations.services.common import moment_of
from sprechzeit.consultations.services.lifecycle import consultation_end, consultation_miss
from sprechzeit.consultations.services.metering import consultation_settle

Status = Consultation.Status


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
    moment = moment_of(now)
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
        confirmed = _orphan_end_second(consultation, moment)
        if confirmed is None:
            continue
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


def _orphan_end_second(consultation: Consultation, moment: datetime) -> float | None:
    """The wall second to end a live consultation at if no process looks after it any
    more (its heartbeats, or a phone call's paid time, are older than the timeout);
    None while it is looked after."""
    assert consultation.started_at is not None
    timeout = timedelta(seconds=policy_for(consultation.platform).heartbeat_timeout_seconds)
    cutoff = cut_off_at(consultation)
    if consultation.channel == Consultation.Channel.PHONE:
        if moment - cutoff < timeout:
            return None
        return (cutoff - consultation.started_at).total_seconds()
    beats = heartbeats_last(consultation_id=consultation.pk)
    last = min(beats.get(role, consultation.started_at) for role in ROLES)
    if moment - last < timeout and moment - cutoff < timeout:
        return None
    return max(0, math.floor((min(last, cutoff) - consultation.started_at).total_seconds()))
