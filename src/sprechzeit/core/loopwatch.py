"""How late a server process's event loop runs.

Every timer of the loop — the consultations' cut-offs above all — fires only when the
loop gets to it. A probe per loop sleeps `PROBE_SECONDS` and records how much later it
woke: that is how long any timer due in that moment was held up (metric
`sprechzeit_event_loop_lag_seconds`). The garbage collector stops the whole interpreter
while it runs, so its pauses are recorded too (`sprechzeit_gc_pause_seconds`, per
generation). A hold-up longer than `STALL_SECONDS` is logged with the garbage
collector's share of it: the first place to look when cut-offs come late.

Started by the first WebSocket of each loop (`loop_watch_ensure`); costs one wake-up per
`PROBE_SECONDS`. It also installs the stack dumps on `SIGUSR1`/`SIGUSR2`
(`core.stackdump`). `startup_objects_freeze` shortens the pauses themselves.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import time
import weakref
from collections import deque
from typing import Any, Final

from django.urls import get_resolver

from sprechzeit.core import metrics
from sprechzeit.core.stackdump import stack_dump_install

logger = logging.getLogger(__name__)

PROBE_SECONDS: Final = 0.1
STALL_SECONDS: Final = 0.5


class _GcClock:
    """Total time the garbage collector ran in this process (gc.callbacks), and the
    pauses not yet recorded as metrics.

    The callback runs inside a collection, which starts wherever Python allocates —
    also while this very thread holds a lock, such as prometheus_client's while it writes
    a sample. Recording the metric there took that lock again and froze the server
    process for good (its event loop, every socket on it: the failover test's surviving
    node, 2026-11-30). So the callback only notes the pause in a deque (no lock, no
    Python code of others); the probe records the notes on the loop (`gc_pauses_record`).
    """

    def __init__(self) -> None:
        self.total = 0.0
        self._started = 0.0
        # Bounded: a process whose loop has ended keeps collecting without a probe.
        self.pauses: deque[tuple[int, float]] = deque(maxlen=10_000)

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
            return
        pause = time.perf_counter() - self._started
        self.total += pause
        self.pauses.append((int(info.get("generation", 0)), pause))


_GC: Final = _GcClock()
_WATCHED: weakref.WeakSet[asyncio.AbstractEventLoop] = weakref.WeakSet()
_PROBES: set[asyncio.Task[None]] = set()


def gc_pauses_record() -> int:
    """Record the pauses the garbage collector noted since the last call as metrics
    (outside any collection); returns how many. Called by each probe."""
    recorded = 0
    while _GC.pauses:
        try:
            generation, pause = _GC.pauses.popleft()
        except IndexError:  # another loop's probe took the last one
            break
        metrics.observe_gc_pause(generation=generation, seconds=pause)
        recorded += 1
    return recorded


def startup_objects_freeze() -> int:
    """Move every object alive now to the garbage collector's permanent generation and
    return how many are there: called once a server process has loaded everything
    (`config.asgi`). Those objects live as long as the process, yet each full collection
    scanned them all — with Django and the app loaded about 200,000, half a second per
    collection on a busy 2-core node, during which no timer fires. Later collections scan
    only what was made since."""
    # The URLconf loads on the first request otherwise (and with it the views' modules).
    get_resolver().url_patterns  # noqa: B018 - the property loads it
    gc.collect()  # garbage of the start-up is freed, not frozen
    gc.freeze()
    return gc.get_freeze_count()


def loop_watch_ensure() -> None:
    """Start the probe on the running loop (once per loop) and the GC clock (once per
    process)."""
    loop = asyncio.get_running_loop()
    if loop in _WATCHED:
        return
    _WATCHED.add(loop)
    stack_dump_install(loop)
    if _GC not in gc.callbacks:
        gc.callbacks.append(_GC)
    probe = loop.create_task(_probe(), name="loop-watch")
    _PROBES.add(probe)
    probe.add_done_callback(_PROBES.discard)


async def _probe() -> None:
    loop = asyncio.get_running_loop()
    while True:
        before, gc_before = loop.time(), _GC.total
        await asyncio.sleep(PROBE_SECONDS)
        lag = max(0.0, loop.time() - before - PROBE_SECONDS)
        metrics.observe_loop_lag(lag)
        gc_pauses_record()
        if lag > STALL_SECONDS:
            logger.warning(
                "event loop of process %d held up %.2f s (garbage collection: %.2f s of it)",
                os.getpid(),
                lag,
                _GC.total - gc_before,
            )
