"""Booking an end a socket has announced (a cut-off, a timeout, a side's `end`), in a
task of its own that outlives the socket: a browser that leaves the moment it hears
`ended` closes its socket, which must not cancel the booking."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime

from sprechzeit.consultations import tasks
from sprechzeit.consultations.models import Consultation
from sprechzeit.consultations.realtime.base import db, off_loop
from sprechzeit.consultations.services.lifecycle import consultation_end

logger = logging.getLogger(__name__)
# Running end bookings, referenced so that the event loop does not drop them.
_BOOKINGS: set[asyncio.Future[None]] = set()


def end_booking_start(
    *, consultation: Consultation, reason: str, at_second: float | None, now: datetime
) -> asyncio.Future[None]:
    """Start booking the end of `consultation` at `now` (the moment the socket ended
    it); await the returned future (shielded) to wait for it."""
    task = asyncio.ensure_future(_book(consultation, reason, at_second, now))
    _BOOKINGS.add(task)
    task.add_done_callback(_BOOKINGS.discard)
    return task


async def _book(
    consultation: Consultation, reason: str, at_second: float | None, now: datetime
) -> None:
    """With a Celery worker the settlement runs there (`tasks.end`): this process
    keeps its interpreter for the timers. Without one (demo, tests), or when the
    broker refuses, it is booked here."""
    try:
        if await off_loop(
            tasks.end_enqueue,
            consultation_id=consultation.pk,
            reason=reason,
            at_second=at_second,
            now=now,
        ):
            return
    except Exception:
        logger.warning(
            "queueing the end of %s failed; booking here", consultation.pk, exc_info=True
        )
    await db(
        consultation_end, consultation=consultation, reason=reason, at_second=at_second, now=now
    )
