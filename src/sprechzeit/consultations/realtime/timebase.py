"""The time the realtime edge runs on: the real clock in production, a manual one in
tests and the simulator (injectable, so a 150 s consultation is tested in milliseconds).

Consumers never call `asyncio.sleep` or `datetime.now` directly: they ask the current
timebase for `now()` and `sleep_until(moment)`.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Protocol

from sprechzeit.core import clock


class Timebase(Protocol):
    def now(self) -> datetime: ...

    async def sleep_until(self, moment: datetime) -> None: ...


class RealTimebase:
    def now(self) -> datetime:
        return clock.now()

    async def sleep_until(self, moment: datetime) -> None:
        delay = (moment - self.now()).total_seconds()
        await asyncio.sleep(max(0.0, delay))


class ManualTimebase:
    """Time moves only when a test calls `advance`; sleepers wake in order of their
    deadline, and each wake gets a little real time to let the woken task (and the
    database threads it waits on) run before time moves on."""

    def __init__(self, start: datetime, *, settle_seconds: float = 0.01) -> None:
        self.origin = start
        self._now = start
        self._settle_seconds = settle_seconds
        self._sleepers: list[tuple[datetime, int, asyncio.Future[None]]] = []
        self._order = itertools.count()

    def now(self) -> datetime:
        return self._now

    def elapsed(self) -> float:
        return (self._now - self.origin).total_seconds()

    async def sleep_until(self, moment: datetime) -> None:
        if moment <= self._now:
            await asyncio.sleep(0)
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (moment, next(self._order), future))
        await future

    async def settle(self) -> None:
        for _ in range(3):
            await asyncio.sleep(self._settle_seconds / 3)

    async def advance(self, seconds: float) -> None:
        """Move time forward by `seconds`, waking every sleeper whose deadline passes."""
        target = self._now + timedelta(seconds=seconds)
        while self._sleepers and self._sleepers[0][0] <= target:
            moment = self._sleepers[0][0]
            self._now = max(self._now, moment)
            while self._sleepers and self._sleepers[0][0] <= self._now:
                _when, _n, future = heapq.heappop(self._sleepers)
                if not future.done():
                    future.set_result(None)
            await self.settle()
        self._now = target
        await self.settle()

    async def advance_to(self, seconds_from_origin: float) -> None:
        await self.advance(seconds_from_origin - self.elapsed())


_current: list[Timebase] = [RealTimebase()]


def current() -> Timebase:
    return _current[-1]


@contextmanager
def use(timebase: Timebase) -> Iterator[Timebase]:
    _current.append(timebase)
    try:
        yield timebase
    finally:
        _current.remove(timebase)
