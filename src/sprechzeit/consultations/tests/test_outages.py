"""A side's connection lost and back (its server process died, the network dropped): the
seconds between its last heartbeat and its return are not billed, the cut-off moves by
them, and both sides hear `reconnected`. The service with a frozen clock, then the room
over real WebSockets with a manual timebase (the failover through nginx with two real
nodes: `tests/ops/test_failover.py`)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from channels.db import database_sync_to_async
from django.core.cache import cache

from sprechzeit.consultations.heartbeats import heartbeats_last
from sprechzeit.consultations.models import Consultation, ConsultationPause
from sprechzeit.consultations.realtime import timebase
from sprechzeit.consultations.realtime.timebase import ManualTimebase
from sprechzeit.consultations.services import (
    consultation_accept,
    consultation_end,
    consultation_outage_record,
    consultation_pause,
    consultation_phone_answered,
    consultation_request,
    cut_off_at,
)
from sprechzeit.consultations.tests.factories import scene
from sprechzeit.consultations.tests.test_realtime import (
    check,
    connect,
    live,
    make_scene,
    run_until,
)
from sprechzeit.ledger.tests.helpers import assert_ledger_sound

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
Reason = Consultation.EndReason


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def started(**policy: Any) -> Consultation:
    s = scene(balance_minor=500, rate_minor=200, **policy)  # 150 s paid
    consultation = consultation_request(client=s.client, listing=s.listing, now=at(-5))
    return consultation_accept(consultation=consultation, partner=s.partner, now=at(0))


@pytest.mark.django_db
def test_a_gap_is_not_billed_and_both_sides_gaps_count_once(
    django_capture_on_commit_callbacks: Any,
) -> None:
    consultation = started()
    with django_capture_on_commit_callbacks() as pushed:
        consultation, gap = consultation_outage_record(
            consultation=consultation, role="client", since=at(40), now=at(52)
        )
    assert gap == timedelta(seconds=12)
    assert consultation.outage_seconds == 12
    assert cut_off_at(consultation) == at(162)
    assert len(pushed) == 1
    # The partner was on the same dead node: its gap overlaps and adds only what is new.
    consultation, gap = consultation_outage_record(
        consultation=consultation, role="partner", since=at(38), now=at(53)
    )
    assert gap == timedelta(seconds=1)
    assert cut_off_at(consultation) == at(163)
    kinds = list(ConsultationPause.objects.values_list("kind", flat=True))
    assert kinds == ["outage", "outage"]
    consultation = consultation_end(
        consultation=consultation, reason=Reason.CLIENT, at_second=None, now=at(70)
    )
    assert (consultation.duration_seconds, consultation.amount_minor) == (57, 190)
    assert_ledger_sound()


@pytest.mark.django_db
def test_nothing_is_recorded_for_a_short_gap_after_the_cut_off_or_while_paused() -> None:
    consultation = started()
    consultation, gap = consultation_outage_record(
        consultation=consultation, role="client", since=at(40), now=at(40.5)
    )
    assert (gap, consultation.outage_seconds) == (timedelta(0), 0)
    consultation, gap = consultation_outage_record(
        consultation=consultation, role="client", since=at(140), now=at(151)
    )
    assert gap == timedelta(0)
    paused = started(pause_on_top_up=True)
    consultation_pause(consultation=paused, client=paused.client, now=at(30))
    paused, gap = consultation_outage_record(
        consultation=paused, role="partner", since=at(35), now=at(50)
    )
    assert gap == timedelta(0)
    # A phone call runs on whatever the room page's socket does.
    phone_scene = scene(balance_minor=500, rate_minor=200)
    phone = consultation_request(
        client=phone_scene.client,
        listing=phone_scene.listing,
        channel=Consultation.Channel.PHONE,
        now=at(-5),
    )
    phone = consultation_accept(consultation=phone, partner=phone_scene.partner, now=at(0))
    phone = consultation_phone_answered(consultation=phone, now=at(0))
    assert phone.status == Consultation.Status.LIVE
    assert phone.started_at is not None
    phone, gap = consultation_outage_record(
        consultation=phone, role="client", since=at(20), now=at(40)
    )
    assert gap == timedelta(0)
    assert not ConsultationPause.objects.filter(kind="outage").exists()


@pytest.mark.django_db
def test_a_gap_leaves_the_top_up_allowance_untouched() -> None:
    consultation = started(pause_on_top_up=True, pause_max_seconds=30)
    consultation, _gap = consultation_outage_record(
        consultation=consultation, role="client", since=at(10), now=at(60)
    )
    consultation_pause(consultation=consultation, client=consultation.client, now=at(70))
    consultation = consultation_end(
        consultation=consultation, reason=Reason.CLIENT, at_second=120, now=at(125)
    )
    # 120 wall seconds − 50 s gap − 30 s pause (the whole allowance) = 40 s.
    assert consultation.duration_seconds == 40
    assert_ledger_sound()


# --- the room -----------------------------------------------------------------------------


@pytest.fixture
def clock(settings: Any) -> Iterator[ManualTimebase]:
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    cache.clear()
    manual = ManualTimebase(datetime.now(tz=UTC).replace(microsecond=0))
    with timebase.use(manual):
        yield manual


@pytest.mark.django_db(transaction=True)
async def test_a_client_back_after_its_process_died_is_not_billed_the_gap(
    clock: ManualTimebase,
) -> None:
    s = await make_scene(balance_minor=500, rate_minor=200)
    consultation, client, partner = await live(s, clock)
    await run_until(clock, [client, partner], 40)
    # The client's process dies: no goodbye, no heartbeat at the close.
    client.communicator.future.cancel()
    await run_until(clock, [partner], 52)
    back = await connect(f"/ws/consultations/{consultation.pk}/", s.client.user)
    hello = back.log[0]
    told = await back.expect("reconnected")
    assert (told["role"], told["gap_seconds"]) == ("client", 12.0)
    assert hello["state"]["cut_off_at"] == told["state"]["cut_off_at"]
    assert datetime.fromisoformat(told["state"]["cut_off_at"]) == (
        datetime.fromisoformat(hello["state"]["started_at"]) + timedelta(seconds=162)
    )
    assert (await partner.expect("reconnected"))["gap_seconds"] == 12.0
    await run_until(clock, [back, partner], 70)
    await back.send(type="end")
    ended = await partner.expect("ended")
    assert (ended["state"]["duration_seconds"], ended["state"]["amount_minor"]) == (58, 193)
    assert await check(s) == 307
    await back.close()
    await partner.close()


@pytest.mark.django_db(transaction=True)
async def test_a_clean_close_stores_the_heartbeat_so_a_reload_costs_its_seconds_only(
    clock: ManualTimebase,
) -> None:
    s = await make_scene(balance_minor=500, rate_minor=200)
    consultation, client, partner = await live(s, clock)
    await run_until(clock, [client, partner], 38)
    await clock.advance(4)
    await client.close()
    stored = await database_sync_to_async(heartbeats_last)(consultation_id=consultation.pk)
    assert stored["client"] == clock.now()
    await clock.advance(3)
    back = await connect(f"/ws/consultations/{consultation.pk}/", s.client.user)
    assert (await back.expect("reconnected"))["gap_seconds"] == 3.0
    await back.close()
    await partner.close()
