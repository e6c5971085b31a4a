"""The project's clock: every service asks `clock.now()`, so tests and the simulator can
move time without patching datetime."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from django.utils import timezone

_state = threading.local()


def now() -> datetime:
    frozen: datetime | None = getattr(_state, "frozen", None)
    return frozen if frozen is not None else timezone.now()


@contextmanager
def frozen_at(moment: datetime) -> Iterator[FrozenClock]:
    """Freeze `now()` for this thread at `moment` (timezone-aware); advance with `.tick()`."""
    if timezone.is_naive(moment):
        raise ValueError("frozen_at needs a timezone-aware datetime")
    previous = getattr(_state, "frozen", None)
    _state.frozen = moment
    try:
        yield FrozenClock()
    finally:
        _state.frozen = previous


class FrozenClock:
    def tick(self, seconds: float = 0, **delta: float) -> datetime:
        _state.frozen = _state.frozen + timedelta(seconds=seconds, **delta)
        current: datetime = _state.frozen
        return current

    def set(self, moment: datetime) -> None:
        _state.frozen = moment
