"""The sockets' blocking work without the database (the heartbeat store a timer reads just
before its cut-off, queueing a burst of ends) never waits behind database work: with
every database thread busy, it still runs at once."""

from __future__ import annotations

import asyncio
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.conf import settings

from sprechzeit.consultations.realtime import base


async def test_off_loop_work_runs_while_every_database_thread_is_busy(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    database_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="test-db")
    monkeypatch.setattr(base, "_POOL", database_pool)
    release = threading.Event()
    busy = base.db(release.wait, 10)  # the one database thread, held
    try:
        started = time.monotonic()
        thread = await asyncio.wait_for(
            base.off_loop(lambda: threading.current_thread().name), timeout=5
        )
        assert time.monotonic() - started < 2
        assert thread.startswith("consultation-io")
    finally:
        release.set()
        assert await busy is True
        database_pool.shutdown()


def test_off_loop_has_its_own_threads() -> None:
    assert base._IO_POOL is not base._POOL
    assert base._IO_POOL._max_workers == settings.CONSULTATION_IO_THREADS
