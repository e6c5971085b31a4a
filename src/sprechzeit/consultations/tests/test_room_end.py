"""The room's end over real WebSockets: once the end is booked, both sides hear a
summary (duration, cost, reason; the client also the new balance and whether it may
rate, and from how many paid seconds), without a reload."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from channels.db import database_sync_to_async
from django.core.cache import cache

from sprechzeit.consultations.models import Consultation
from sprechzeit.consultations.realtime import timebase
from sprechzeit.consultations.realtime.timebase import ManualTimebase
from sprechzeit.consultations.services import rating_create
from sprechzeit.consultations.tests.test_realtime import (
    check,
    connect,
    live,
    make_scene,
    run_until,
)


@pytest.fixture
def manual_clock() -> Iterator[ManualTimebase]:
    manual = ManualTimebase(datetime.now(tz=UTC).replace(microsecond=0))
    with timebase.use(manual):
        yield manual


pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _in_memory_layer(settings: Any) -> None:
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    cache.clear()


async def test_cut_off_announces_then_sums_up_without_rating(manual_clock: ManualTimebase) -> None:
    s = await make_scene(balance_minor=500, rate_minor=200)
    consultation, client, partner = await live(s, manual_clock)
    await run_until(manual_clock, [client, partner], 151, step=1)
    ended = await client.expect("ended")
    assert ended["summary"] is None  # announced on the second, before the booking
    settled = await client.expect("settled")
    summary: dict[str, Any] = settled["summary"]
    assert summary["reason"] == "balance"
    assert (summary["billed_seconds"], summary["amount_minor"]) == (150, 500)
    assert summary["balance_minor"] == 0
    # 150 paid seconds are below the 180 a rating needs: the room explains that.
    assert (summary["rateable"], summary["rated"], summary["rating_min_seconds"]) == (
        False,
        False,
        180,
    )
    partner_summary = (await partner.expect("settled"))["summary"]
    # The partner sees their own share of the 5,00 €, never what the client paid.
    booked = await database_sync_to_async(Consultation.objects.get)(pk=consultation.pk)
    assert booked.partner_share_minor is not None
    assert 0 < booked.partner_share_minor < 500
    assert partner_summary["amount_minor"] == booked.partner_share_minor
    assert partner_summary["balance_minor"] is None  # the client's balance is not the partner's
    assert partner_summary["rateable"] is False
    assert await check(s) == 0
    await client.close()
    await partner.close()


async def test_client_end_sums_up_with_balance_and_rating_form(
    manual_clock: ManualTimebase,
) -> None:
    s = await make_scene(balance_minor=1000, rate_minor=200)
    consultation, client, partner = await live(s, manual_clock)
    await run_until(manual_clock, [client, partner], 200)
    await client.send(type="end")
    ended = await client.expect("ended")
    assert ended["state"]["status"] == "settled"
    summary = ended["summary"]
    assert summary["reason"] == "client"
    assert (summary["billed_seconds"], summary["amount_minor"]) == (200, 667)
    assert summary["balance_minor"] == 333
    assert (summary["rateable"], summary["rated"]) == (True, False)
    partner_ended = (await partner.expect("ended"))["summary"]
    assert partner_ended["balance_minor"] is None
    booked = await database_sync_to_async(Consultation.objects.get)(pk=consultation.pk)
    assert partner_ended["amount_minor"] == booked.partner_share_minor != 667
    assert await check(s) == 333
    await client.close()
    await partner.close()

    # Rated: a later visit's summary says so and offers no second rating.
    fresh = await database_sync_to_async(Consultation.objects.get)(pk=consultation.pk)
    await database_sync_to_async(rating_create)(consultation=fresh, client=s.client, stars=5)
    again = await connect(f"/ws/consultations/{consultation.pk}/", s.client.user)
    summary = (await again.expect("ended"))["summary"]
    assert (summary["rateable"], summary["rated"]) == (False, True)
    await again.close()
