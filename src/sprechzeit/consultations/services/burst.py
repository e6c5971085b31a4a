"""A burst of ends booked together: many cut-offs in the same second (a wave of
consultations that started together, a node's restart) are ended and settled in one
transaction instead of one each.

The sockets announce each end at once (the timer never waits for the database) and
queue the booking; the server collects the ends of a short window
(`realtime.booking`) into one task, and the worker books them here. One commit for the
whole burst; the consultations' row locks are taken in primary-key order, so two
bursts (or a burst and a single end) never wait on each other in a cycle. If the burst
fails as a whole (a deadlock with a top-up, a database hiccup), each end is booked on
its own (`consultation_end`), so one bad consultation never holds up the others.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db import DatabaseError, transaction

from sprechzeit.consultations.models import Consultation
from sprechzeit.consultations.services.lifecycle import consultation_end
from sprechzeit.consultations.services.metering import consultation_end_and_settle_locked
from sprechzeit.core.errors import DomainError

logger = logging.getLogger(__name__)
Status = Consultation.Status


@dataclass(frozen=True, slots=True)
class EndRequest:
    """One announced end: as `consultation_end` takes it."""

    consultation_id: str
    reason: str
    at_second: float | None
    now: datetime


def consultations_end_many(*, ends: Sequence[EndRequest]) -> int:
    """End and settle every live consultation of `ends` in one transaction; returns how
    many this call settled. Idempotent like `consultation_end`: an end already booked,
    or a consultation that is not live, is skipped."""
    if not ends:
        return 0
    try:
        with transaction.atomic(durable=True):
            return _end_locked(ends)
    except (DatabaseError, DomainError):
        logger.warning("a burst of %d ends failed; booking each on its own", len(ends))
    settled = 0
    for end in ends:
        try:
            ended = consultation_end(
                consultation=Consultation(pk=end.consultation_id),
                reason=end.reason,
                at_second=end.at_second,
                now=end.now,
            )
        except DomainError:  # not live (never accepted, cancelled): nothing to book
            logger.info("end of consultation %s not booked", end.consultation_id, exc_info=True)
            continue
        settled += ended.status == Status.SETTLED
    return settled


def _end_locked(ends: Sequence[EndRequest]) -> int:
    ids = sorted({end.consultation_id for end in ends})
    locked = {
        str(consultation.pk): consultation
        for consultation in Consultation.objects.select_for_update(of=("self",))
        .select_related("client", "listing", "partner", "platform")
        .filter(pk__in=ids)
        .order_by("pk")
    }
    settled = 0
    for end in ends:
        consultation = locked.get(str(end.consultation_id))
        if consultation is None or consultation.status != Status.LIVE:
            continue  # booked before (a redelivery, the peer's socket), or never live
        consultation_end_and_settle_locked(
            consultation=consultation, reason=end.reason, at_second=end.at_second, moment=end.now
        )
        settled += 1
    return settled
