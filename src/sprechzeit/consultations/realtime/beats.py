"""The heartbeats a server process stores, in batches.

Every socket of a live consultation stores its side's heartbeat every few seconds (the
peer's presence check and the reaper read them, `consultations.heartbeats`). One write
per heartbeat cost a hand-off to a thread and a Redis round trip each: at 4,000
concurrent consultations 800 a second, 14 % of a server process (docs/performance.md).
Here a socket only notes its latest heartbeat (a dictionary entry on the event loop); the
process writes all that it noted within `FLUSH_SECONDS` in one pipelined command
(`heartbeats_record_many`).

Reads are batched too, without a window (a presence check may come right before a
cut-off): one read is in flight per process, and every socket's `heartbeats_seen` asked
for meanwhile goes with the next one, one `get_many` from one thread (400 reads a second
at 4,000 concurrent consultations were a fifth of a server process, each a thread
hand-off of its own). A read adds what this process
has noted but not yet written, so a socket that reconnects to the same process never
sees an older heartbeat than it sent. A process that dies loses at most its last
`FLUSH_SECONDS` of notes: the gap its sockets' sides are not billed for then starts up
to that much earlier (in the client's favour). A clean close writes at once (`heartbeat_write_now`). Writes of one process run
one after the other, so a key's stored heartbeat never goes back in time.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
import weakref
from datetime import UTC, datetime
from typing import Final

from sprechzeit.consultations.heartbeats import (
    heartbeat_key,
    heartbeats_last_many,
    heartbeats_record_many,
)
from sprechzeit.consultations.protocol import ROLES
from sprechzeit.consultations.realtime.base import off_loop

logger = logging.getLogger(__name__)

FLUSH_SECONDS: Final = 1.0


class _Batch:
    """The notes of one event loop (one server process; each test has its own loop)."""

    def __init__(self) -> None:
        self.pending: dict[str, float] = {}
        self.writing: dict[str, float] = {}  # taken from `pending`, not yet stored
        self.lock = asyncio.Lock()
        self.timer: asyncio.Task[None] | None = None
        self.wanted: dict[str, list[asyncio.Future[dict[str, datetime]]]] = {}
        self.reader: asyncio.Task[None] | None = None

    def note(self, key: str, stamp: float) -> None:
        if stamp > self.pending.get(key, 0.0):
            self.pending[key] = stamp
        if self.timer is None:
            self.timer = asyncio.get_running_loop().create_task(
                self._flush_later(), name="heartbeats-flush"
            )

    async def _flush_later(self) -> None:
        try:
            await asyncio.sleep(FLUSH_SECONDS)
        finally:
            self.timer = None
        try:
            await self.flush()
        except Exception:
            # Redis is away: the notes are gone; the sockets note again within seconds.
            logger.warning("storing heartbeats failed", exc_info=True)

    async def flush(self) -> None:
        async with self.lock:
            stamps, self.pending = self.pending, {}
            if not stamps:
                return
            self.writing = stamps
            try:
                await off_loop(heartbeats_record_many, stamps=stamps)
            finally:
                self.writing = {}

    def noted(self, consultation_id: uuid.UUID | str) -> dict[str, float]:
        """The latest heartbeat of each side noted here and not yet stored."""
        noted: dict[str, float] = {}
        for role in ROLES:
            key = heartbeat_key(consultation_id, role)
            stamp = max(self.pending.get(key, 0.0), self.writing.get(key, 0.0))
            if stamp:
                noted[role] = stamp
        return noted

    def read(self, consultation_id: str) -> asyncio.Future[dict[str, datetime]]:
        """The stored heartbeats of `consultation_id`, read with the others asked for
        in this turn of the loop or while the previous read was in flight."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[dict[str, datetime]] = loop.create_future()
        self.wanted.setdefault(consultation_id, []).append(future)
        if self.reader is None:
            self.reader = loop.create_task(self._read_all(), name="heartbeats-read")
        return future

    async def _read_all(self) -> None:
        """One read in flight per process: what the sockets ask for meanwhile goes with
        the next one (no waiting when the process is idle, bigger batches when busy)."""
        try:
            while self.wanted:
                wanted, self.wanted = self.wanted, {}
                try:
                    stored = await off_loop(heartbeats_last_many, consultation_ids=list(wanted))
                except Exception as exc:
                    for futures in wanted.values():
                        for future in futures:
                            if not future.done():
                                future.set_exception(exc)
                    continue
                for consultation_id, futures in wanted.items():
                    for future in futures:
                        if not future.done():
                            future.set_result(dict(stored[consultation_id]))
        finally:
            self.reader = None


_BATCHES: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Batch] = weakref.WeakKeyDictionary()


def _batch() -> _Batch:
    loop = asyncio.get_running_loop()
    batch = _BATCHES.get(loop)
    if batch is None:
        batch = _BATCHES[loop] = _Batch()
    return batch


def heartbeat_note(*, consultation_id: uuid.UUID | str, role: str, at: datetime) -> None:
    """This side was present at `at`: stored with the next batch (within a second)."""
    _batch().note(heartbeat_key(consultation_id, role), at.timestamp())


async def heartbeat_write_now(*, consultation_id: uuid.UUID | str, role: str, at: datetime) -> None:
    """Note and write at once, with whatever else is pending (a clean close)."""
    batch = _batch()
    batch.note(heartbeat_key(consultation_id, role), at.timestamp())
    await batch.flush()


async def heartbeats_flush() -> None:
    """Write what this process has noted now (tests on a manual clock, where a minute
    passes before the batch's real second has)."""
    await _batch().flush()


async def heartbeats_seen(*, consultation_id: uuid.UUID | str) -> dict[str, datetime]:
    """The latest heartbeat of each side: stored (by any process) or noted here."""
    batch = _batch()
    # What is noted here is taken before the read as well as after it: a batch being
    # written while the read is in flight may land after the read looked and leave
    # `writing` before the read returns; seen only afterwards, it would be lost.
    before = batch.noted(consultation_id)
    seen = await batch.read(str(consultation_id))
    for noted in (before, batch.noted(consultation_id)):
        for role, stamp in noted.items():
            at = datetime.fromtimestamp(stamp, tz=UTC)
            if role not in seen or at > seen[role]:
                seen[role] = at
    return seen
