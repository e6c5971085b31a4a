"""Over real WebSockets with a manual timebase: a top-up in the last seconds before the
cut-off (after the socket's own look for one at paid − 5 s) still extends the
consultation without interruption, because the credit itself extends it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from channels.db import database_sync_to_async
from django.core.cache import cache

from sprechzeit.consultations.realtime import timebase
from sprechzeit.consultations.realtime.timebase import ManualTimebase
from sprechzeit.consultations.tests.factories import top_up
from sprechzeit.consultations.tests.test_realtime import check, live, make_scene, run_until

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _in_memory_layer(settings: Any) -> None:
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    cache.clear()


@pytest.fixture
def clock() -> Iterator[ManualTimebase]:
    manual = ManualTimebase(datetime.now(tz=UTC).replace(microsecond=0))
    with timebase.use(manual):
        yield manual


async def test_top_up_at_147_seconds_moves_the_cut_off(clock: ManualTimebase) -> None:
    s = await make_scene(balance_minor=500, rate_minor=200, warning_seconds="")
    _consultation, client, partner = await live(s, clock)
    # Past the socket's own look for a top-up at 145 s: nothing was there.
    await run_until(clock, [client, partner], 147, step=7)
    assert client.of("extended") == []
    await database_sync_to_async(top_up)(client=s.client, minor=1000)
    extended = await client.expect("extended")
    assert extended["state"]["paid_seconds"] == 450
    assert (await partner.expect("extended"))["state"]["paid_seconds"] == 450
    # Second 150 passes without a cut-off …
    await run_until(clock, [client, partner], 300)
    assert client.of("ended") == []
    assert partner.of("ended") == []
    # … the new one comes at 450 s and bills the longer time.
    await run_until(clock, [client, partner], 460)
    ended = await partner.expect("ended")
    assert (ended["state"]["duration_seconds"], ended["state"]["amount_minor"]) == (450, 1500)
    await partner.expect("settled")
    assert await check(s) == 0
    await client.close()
    await partner.close()
