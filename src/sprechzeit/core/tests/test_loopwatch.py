"""The event-loop probe: a loop held up shows in the metric and, past the stall bound, in
the log with the garbage collector's share."""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import subprocess
import sys
import time
from pathlib import Path

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
    loopwatch.gc_pauses_record()
    before = _count("sprechzeit_gc_pause_seconds_count", {"generation": "2"})
    gc.collect(2)
    # Noted inside the collection, recorded outside it (by the probe, or here).
    assert _count("sprechzeit_gc_pause_seconds_count", {"generation": "2"}) == before
    assert loopwatch.gc_pauses_record() >= 1
    assert _count("sprechzeit_gc_pause_seconds_count", {"generation": "2"}) == before + 1


# A collection that starts while this thread writes a metric sample: prometheus_client
# (multi-process mode, as in production) holds its module lock then. The old GC clock
# recorded the pause right there, took the lock again and hung for good.
DEADLOCK = """
import asyncio, gc, os, sys

import django
django.setup()

from prometheus_client import values

from sprechzeit.core import loopwatch, metrics

assert values.ValueClass.__name__ == "MmapedValue", values.ValueClass
cells = dict(zip(values.ValueClass.inc.__code__.co_freevars, values.ValueClass.inc.__closure__))
lock = cells["lock"].cell_contents


async def main():
    loopwatch.loop_watch_ensure()
    with lock:  # a sample being written ...
        gc.collect(2)  # ... when a collection starts
    await asyncio.sleep(loopwatch.PROBE_SECONDS * 3)  # the probe records the pause


asyncio.run(main())
print(metrics.REGISTRY.get_sample_value("sprechzeit_gc_pause_seconds_count", {"generation": "2"}))
"""


def test_a_collection_during_a_metric_write_does_not_freeze_the_process(tmp_path: Path) -> None:
    environment = {
        **os.environ,
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "sprechzeit.config.settings",
        "SPRECHZEIT_MODE": "test",
    }
    try:
        done = subprocess.run(
            [sys.executable, "-c", DEADLOCK],
            capture_output=True,
            text=True,
            timeout=60,
            env=environment,
        )
    except subprocess.TimeoutExpired:
        pytest.fail("the process froze: the GC clock took prometheus_client's lock again")
    assert done.returncode == 0, done.stderr
    assert float(done.stdout.strip()) >= 1.0


async def _watch_once() -> None:
    loopwatch.loop_watch_ensure()  # installs the GC clock for the process
    for task in asyncio.all_tasks():
        if task.get_name() == "loop-watch":
            task.cancel()
