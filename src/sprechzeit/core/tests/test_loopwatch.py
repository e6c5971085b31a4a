"""The event-loop probe: a loop held up shows in the metric and, past the stall bound, in
the log with the garbage collector's share."""

from __future__ import annotations

import asyncio
import gc
import logging
import time

import pytest

from sprechzeit.core import loopwatch, metrics


def _count(name: str, labels: dict[str, str] | None = None) -> float:
    return metrics.REGISTRY.get_sample_value(name, labels or {}) or 0.0


async def test_a_held_up_loop_is_measured_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    lags_before = _count("sprechzeit_event_loop_lag_seconds_count")
    stalls_before = _count("sprechzeit_event_loop_lag_seconds_bucket", {"le": "0.5"})
    loopwatch.loop_watch_ensure()
    loopwatch.loop_watch_ensure()  # once per loop
    assert sum(1 for task in asyncio.all_tasks() if task.get_name() == "loop-watch") == 1
    await asyncio.sleep(loopwatch.PROBE_SECONDS * 3)  # a few quiet probes
    with caplog.at_level(logging.WARNING, logger="sprechzeit.core.loopwatch"):
        time.sleep(0.7)  # blocks the loop, as ORM work on it or a long GC would
        await asyncio.sleep(loopwatch.PROBE_SECONDS * 2)
    assert _count("sprechzeit_event_loop_lag_seconds_count") >= lags_before + 3
    # The stalled probe landed above 0.5 s; the quiet ones below it.
    above = _count("sprechzeit_event_loop_lag_seconds_count") - _count(
        "sprechzeit_event_loop_lag_seconds_bucket", {"le": "0.5"}
    )
    assert above >= 1
    assert _count("sprechzeit_event_loop_lag_seconds_bucket", {"le": "0.5"}) > stalls_before
    [record] = [r for r in caplog.records if "held up" in r.getMessage()]
    lag = float(record.getMessage().split("held up ")[1].split(" s")[0])
    assert 0.55 <= lag < 5.0
    for task in asyncio.all_tasks():
        if task.get_name() == "loop-watch":
            task.cancel()


def test_garbage_collections_are_timed_per_generation() -> None:
    asyncio.run(_watch_once())
    before = _count("sprechzeit_gc_pause_seconds_count", {"generation": "2"})
    gc.collect(2)
    assert _count("sprechzeit_gc_pause_seconds_count", {"generation": "2"}) == before + 1


async def _watch_once() -> None:
    loopwatch.loop_watch_ensure()  # installs the GC clock for the process
    for task in asyncio.all_tasks():
        if task.get_name() == "loop-watch":
            task.cancel()
