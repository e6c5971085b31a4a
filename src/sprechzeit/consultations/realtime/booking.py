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
# Ends announced within this window go to the worker as one burst. The sockets have
# announced each end at its second already; only the booking waits, and a longer window
# makes fewer, larger bursts (one task and one transaction each): at 2,000 concurrent
# consultations ending ~18 a second, 0.25 s made bursts of two and a settlement queue
# that grew by the minute (docs/performance.md).
BURST_WINDOW_SECONDS = 1.0
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
    """With a Celery worker the settlement runs there: this process keeps its
    interpreter for the timers. The ends of a short window go as one burst
    (`tasks.ends`, one transaction for all of them). Without a worker (demo, tests), or
    when the broker refuses, it is booked here."""
    if tasks.server_cut_off_available():
        item = (str(consultation.pk), reason, at_second, now.isoformat())
        if await _burst_join(item):
            return
    await db(
        consultation_end, consultation=consultation, reason=reason, at_second=at_second, now=now
    )


# The ends announced in this process during the current window, and the window's
# outcome (True: queued for the worker).
_burst: list[tuple[str, str, float | None, str]] = []
_burst_sent: asyncio.Future[bool] | None = None


async def _burst_join(item: tuple[str, str, float | None, str]) -> bool:
    """Add an end to the current window's burst; True once the burst is queued."""
    global _burst_sent
    loop = asyncio.get_running_loop()
    if _burst_sent is not None and (_burst_sent.get_loop() is not loop or _burst_sent.done()):
        # A window left behind by an event loop that has ended (a test's loop, a restarted
        # server thread): its sender died with that loop, so start a new window here.
        _burst.clear()
        _burst_sent = None
    _burst.append(item)
    if _burst_sent is None:
        _burst_sent = loop.create_future()
        task = asyncio.ensure_future(_burst_send(_burst_sent))
        _BOOKINGS.add(task)
        task.add_done_callback(_BOOKINGS.discard)
    return await asyncio.shield(_burst_sent)


async def _burst_send(sent: asyncio.Future[bool]) -> None:
    global _burst_sent
    await asyncio.sleep(BURST_WINDOW_SECONDS)
    items = list(_burst)
    _burst.clear()
    _burst_sent = None
    try:
        queued = await off_loop(tasks.ends_enqueue, items=items)
    except Exception:
        logger.warning("queueing %d ends failed; booking here", len(items), exc_info=True)
        queued = False
    sent.set_result(queued)
