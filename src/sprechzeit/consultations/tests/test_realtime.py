"""End to end over real WebSockets (Channels' communicator, in-memory layer) with a
manual timebase: the server's meter, warnings, cut-off, extension, disconnects."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.core.cache import cache

from sprechzeit.consultations import events, tasks
from sprechzeit.consultations.models import Consultation
from sprechzeit.consultations.realtime import booking, timebase
from sprechzeit.consultations.realtime.beats import heartbeats_flush
from sprechzeit.consultations.realtime.timebase import ManualTimebase
from sprechzeit.consultations.routing import websocket_urlpatterns
from sprechzeit.consultations.services import (
    consultation_accept,
    consultation_request,
    consultations_reap,
)
from sprechzeit.consultations.tests.factories import Scene, scene, top_up, wallet_available
from sprechzeit.ledger.tests.helpers import assert_ledger_sound

pytestmark = pytest.mark.django_db(transaction=True)

application = URLRouter(websocket_urlpatterns)


@pytest.fixture(autouse=True)
def _in_memory_layer(settings: Any) -> None:
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    cache.clear()


@pytest.fixture
def clock() -> Iterator[ManualTimebase]:
    manual = ManualTimebase(datetime.now(tz=UTC).replace(microsecond=0))
    with timebase.use(manual):
        yield manual


class Socket:
    """A communicator that keeps every message it received, in order."""

    def __init__(self, communicator: WebsocketCommunicator) -> None:
        self.communicator = communicator
        self.log: list[dict[str, Any]] = []

    async def send(self, **message: Any) -> None:
        await self.communicator.send_json_to(message)

    async def pump(self) -> list[dict[str, Any]]:
        while not await self.communicator.receive_nothing(timeout=0.03, interval=0.005):
            self.log.append(await self.communicator.receive_json_from())
        return self.log

    async def expect(self, kind: str, *, attempts: int = 40) -> dict[str, Any]:
        seen = 0
        for _ in range(attempts):
            await self.pump()
            matches = [message for message in self.log if message["type"] == kind]
            if len(matches) > seen:
                return matches[seen]
        raise AssertionError(f"no {kind!r} in {[m['type'] for m in self.log]}")

    def of(self, kind: str) -> list[dict[str, Any]]:
        return [message for message in self.log if message["type"] == kind]

    async def close(self) -> None:
        await self.communicator.disconnect()


async def connect(path: str, user: Any) -> Socket:
    communicator = WebsocketCommunicator(application, path)
    communicator.scope["user"] = user
    connected, _code = await communicator.connect()
    assert connected
    socket = Socket(communicator)
    await socket.expect("hello")
    return socket


async def _request(s: Scene, now: datetime) -> Consultation:
    consultation: Consultation = await database_sync_to_async(consultation_request)(
        client=s.client, listing=s.listing, now=now
    )
    return consultation


async def live(s: Scene, clock: ManualTimebase) -> tuple[Consultation, Socket, Socket]:
    """Request, accept over the partner's request channel, both sides in the room."""
    consultation = await _request(s, clock.now())
    client = await connect(f"/ws/consultations/{consultation.pk}/", s.client.user)
    requests = await connect("/ws/partner/requests/", s.partner.user)
    assert requests.log[0]["requests"][0]["consultation"] == str(consultation.pk)
    await requests.send(type="accept", consultation=str(consultation.pk))
    assert (await requests.expect("accepted"))["status"] == "live"
    await requests.close()
    started = await client.expect("started")
    assert started["state"]["paid_seconds"] > 0
    partner = await connect(f"/ws/consultations/{consultation.pk}/", s.partner.user)
    return consultation, client, partner


async def run_until(
    clock: ManualTimebase, sockets: list[Socket], seconds: float, step: float = 10
) -> None:
    """Advance to `seconds`, each side sending a heartbeat every `step` seconds."""
    while clock.elapsed() < seconds:
        await clock.advance(min(step, seconds - clock.elapsed()))
        for socket in sockets:
            await socket.send(type="heartbeat")
        for socket in sockets:
            await socket.pump()


def _scene(**kwargs: Any) -> Scene:
    return scene(**kwargs)


async def make_scene(**kwargs: Any) -> Scene:
    made: Scene = await database_sync_to_async(_scene)(**kwargs)
    return made


async def check(s: Scene) -> int:
    await database_sync_to_async(assert_ledger_sound)()
    available: int = await database_sync_to_async(wallet_available)(s.client)
    return available


async def test_cut_off_at_exactly_150_seconds_billed_5_euros(clock: ManualTimebase) -> None:
    s = await make_scene(balance_minor=500, rate_minor=200)
    _consultation, client, partner = await live(s, clock)
    await run_until(clock, [client, partner], 149)
    assert not client.of("ended")
    await run_until(clock, [client, partner], 151, step=1)
    for socket in (client, partner):
        ended = await socket.expect("ended")
        assert ended["state"]["duration_seconds"] == 150
        assert ended["state"]["amount_minor"] == 500
        assert ended["state"]["reason"] == "balance"
        warnings = [(w["remaining_seconds"], w["at_second"]) for w in socket.of("warning")]
        assert warnings == [(120, 30), (60, 90)]
        meters = socket.of("meter")
        assert meters[0]["elapsed_seconds"] == 0
        assert meters[0]["remaining_seconds"] == 150
        # The end is announced on the second; the booking follows and is confirmed.
        assert (await socket.expect("settled"))["state"]["amount_minor"] == 500
    assert await check(s) == 0
    await client.close()
    await partner.close()


async def test_sixty_sixty_blocks_cut_off_at_120_seconds(clock: ManualTimebase) -> None:
    s = await make_scene(
        balance_minor=500, rate_minor=200, increment_first_seconds=60, increment_next_seconds=60
    )
    _consultation, client, partner = await live(s, clock)
    await run_until(clock, [client, partner], 125)
    ended = await client.expect("ended")
    assert (ended["state"]["duration_seconds"], ended["state"]["amount_minor"]) == (120, 400)
    assert [w["at_second"] for w in client.of("warning")] == [0, 60]
    await client.expect("settled")
    assert await check(s) == 100
    await client.close()
    await partner.close()


async def test_top_up_at_100_seconds_extends_without_interruption(clock: ManualTimebase) -> None:
    s = await make_scene(balance_minor=500, rate_minor=200)
    _consultation, client, partner = await live(s, clock)
    await run_until(clock, [client, partner], 100)
    await database_sync_to_async(top_up)(client=s.client, minor=1000)
    await client.send(type="extend")
    extended = await partner.expect("extended")
    assert extended["state"]["paid_seconds"] == 450
    await run_until(clock, [client, partner], 460)
    ended = await partner.expect("ended")
    assert (ended["state"]["duration_seconds"], ended["state"]["amount_minor"]) == (450, 1500)
    assert [w["at_second"] for w in client.of("warning")] == [30, 90, 330, 390]
    await partner.expect("settled")
    assert await check(s) == 0
    await client.close()
    await partner.close()


async def test_top_up_is_picked_up_before_the_cut_off(clock: ManualTimebase) -> None:
    s = await make_scene(balance_minor=500, rate_minor=200, warning_seconds="")
    _consultation, client, partner = await live(s, clock)
    await run_until(clock, [client, partner], 100)
    await database_sync_to_async(top_up)(client=s.client, minor=100)
    # The client's socket looks for a top-up 5 s before the cut-off (at 145 s).
    await run_until(clock, [client, partner], 146)
    assert (await partner.expect("extended"))["state"]["paid_seconds"] == 180
    await run_until(clock, [client, partner], 190)
    ended = await client.expect("ended")
    assert (ended["state"]["duration_seconds"], ended["state"]["amount_minor"]) == (180, 600)
    await client.expect("settled")
    assert await check(s) == 0
    await client.close()
    await partner.close()


async def test_client_disconnect_ends_at_the_last_confirmed_second(clock: ManualTimebase) -> None:
    s = await make_scene(balance_minor=500, rate_minor=200)
    _consultation, client, partner = await live(s, clock)
    await run_until(clock, [client, partner], 40)
    await client.close()
    await run_until(clock, [partner], 75)
    ended = await partner.expect("ended")
    assert ended["state"]["reason"] == "timeout"
    assert (ended["state"]["duration_seconds"], ended["state"]["amount_minor"]) == (40, 133)
    assert await check(s) == 367
    await partner.close()


async def test_partner_ends_early(clock: ManualTimebase) -> None:
    s = await make_scene(balance_minor=500, rate_minor=200)
    _consultation, client, partner = await live(s, clock)
    await client.send(type="chat", body="Guten Tag")
    assert (await partner.expect("chat"))["body"] == "Guten Tag"
    await run_until(clock, [client, partner], 50)
    await partner.send(type="end")
    ended = await client.expect("ended")
    assert ended["state"]["reason"] == "partner"
    assert (ended["state"]["duration_seconds"], ended["state"]["amount_minor"]) == (50, 167)
    await client.send(type="chat", body="Noch da?")
    assert (await client.expect("error"))["code"] == "invalid_transition"
    assert await check(s) == 333
    await client.close()
    await partner.close()


async def test_crashed_process_is_reaped_at_the_last_heartbeat(clock: ManualTimebase) -> None:
    s = await make_scene(balance_minor=500, rate_minor=200)
    consultation, client, partner = await live(s, clock)
    await run_until(clock, [client, partner], 40)
    # 40 seconds on the real clock would have written the process's batched heartbeats.
    await heartbeats_flush()
    # The process dies: its tasks vanish without a goodbye.
    for socket in (client, partner):
        socket.communicator.future.cancel()
    await clock.advance(60)
    reaped = await database_sync_to_async(consultations_reap)(now=clock.now())
    assert reaped.ended == 1
    await database_sync_to_async(consultation.refresh_from_db)()
    assert (consultation.status, consultation.duration_seconds) == ("settled", 40)
    assert consultation.end_reason == "reaper"
    assert await check(s) == 367


async def test_unanswered_request_is_missed_and_declines_reach_the_client(
    clock: ManualTimebase,
) -> None:
    s = await make_scene(balance_minor=500)
    consultation = await _request(s, clock.now())
    client = await connect(f"/ws/consultations/{consultation.pk}/", s.client.user)
    await clock.advance(59)
    assert not client.of("missed")
    await clock.advance(2)
    assert (await client.expect("missed"))["state"]["status"] == "missed"
    await client.close()

    second = await _request(s, clock.now())
    client = await connect(f"/ws/consultations/{second.pk}/", s.client.user)
    requests = await connect("/ws/partner/requests/", s.partner.user)
    await requests.send(type="decline", consultation=str(second.pk))
    await client.expect("declined")
    await requests.send(type="accept", consultation=str(second.pk))
    assert (await requests.expect("error"))["code"] == "invalid_transition"
    assert await check(s) == 500
    await client.close()
    await requests.close()


async def test_a_client_socket_that_missed_started_starts_at_the_request_timeout(
    clock: ManualTimebase, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Under overload the channel layer can drop `started`: the client's socket, still
    waiting, reads the state when its request would have timed out (60 s) and runs the
    meter from the stored start; the cut-off and the bill do not move."""
    s = await make_scene(balance_minor=500, rate_minor=200)
    consultation = await _request(s, clock.now())
    client = await connect(f"/ws/consultations/{consultation.pk}/", s.client.user)
    sent = events.send_now

    def dropping_started(group: str, event: Any) -> None:
        if event["type"] != "consultation.started":
            sent(group, event)

    monkeypatch.setattr(events, "send_now", dropping_started)
    await clock.advance(10)
    await database_sync_to_async(consultation_accept)(
        consultation=consultation, partner=s.partner, now=clock.now()
    )
    monkeypatch.setattr(events, "send_now", sent)
    partner = await connect(f"/ws/consultations/{consultation.pk}/", s.partner.user)
    await run_until(clock, [client, partner], 50)
    assert not client.of("started")
    await run_until(clock, [client, partner], 61, step=1)
    started = await client.expect("started")
    assert started["state"]["status"] == "live"
    await run_until(clock, [client, partner], 158, step=2)
    assert not client.of("ended")
    await run_until(clock, [client, partner], 162, step=1)
    for socket in (client, partner):
        ended = await socket.expect("ended")
        # Started at 10 s: the cut-off at 160 s wall, 150 s paid, as always.
        assert (ended["state"]["duration_seconds"], ended["state"]["amount_minor"]) == (150, 500)
        assert ended["state"]["reason"] == "balance"
    assert not client.of("missed")
    assert await check(s) == 0
    await client.close()
    await partner.close()


async def test_outsiders_are_refused(clock: ManualTimebase) -> None:
    s = await make_scene(balance_minor=500)
    other = await make_scene(balance_minor=500, platform=s.platform)
    consultation = await _request(s, clock.now())
    for user in (other.client.user, other.partner.user):
        communicator = WebsocketCommunicator(application, f"/ws/consultations/{consultation.pk}/")
        communicator.scope["user"] = user
        connected, code = await communicator.connect()
        assert (connected, code) == (False, 4403)
    communicator = WebsocketCommunicator(application, f"/ws/consultations/{uuid.uuid4()}/")
    communicator.scope["user"] = s.client.user
    assert await communicator.connect() == (False, 4404)
    communicator = WebsocketCommunicator(application, "/ws/partner/requests/")
    communicator.scope["user"] = s.client.user
    assert await communicator.connect() == (False, 4403)
    # Another partner cannot accept someone else's request.
    requests = await connect("/ws/partner/requests/", other.partner.user)
    await requests.send(type="accept", consultation=str(consultation.pk))
    assert (await requests.expect("error"))["code"] == "not_participant"
    await requests.close()


async def test_directory_pages_hear_presence_changes(clock: ManualTimebase) -> None:
    s = await make_scene(balance_minor=500)
    communicator = WebsocketCommunicator(
        application,
        f"/ws/presence/?listing={s.listing.pk}",
        headers=[(b"host", f"{s.platform.slug}.localhost".encode())],
    )
    connected, _code = await communicator.connect()
    assert connected
    listing = str(s.listing.pk)
    assert (await communicator.receive_json_from())["listings"] == {listing: "online"}
    await _request(s, clock.now())
    assert (await communicator.receive_json_from())["listings"] == {listing: "busy"}
    await communicator.disconnect()
    unknown = WebsocketCommunicator(
        application, "/ws/presence/", headers=[(b"host", b"nowhere.example.org")]
    )
    assert await unknown.connect() == (False, 4404)
    for hostile in ("listing=%C2%B2", "listing=" + "9" * 5000, "listing=0"):
        refused = WebsocketCommunicator(
            application,
            f"/ws/presence/?{hostile}",
            headers=[(b"host", f"{s.platform.slug}.localhost".encode())],
        )
        assert await refused.connect() == (False, 4400)


async def test_meter_pauses_while_the_client_tops_up(clock: ManualTimebase) -> None:
    """Platform policy: the meter stands still while the client is on the top-up page
    (up to the allowance); the cut-off moves by the pause, the bill does not grow."""
    s = await make_scene(
        balance_minor=500, rate_minor=200, pause_on_top_up=True, pause_max_seconds=300
    )
    _consultation, client, partner = await live(s, clock)
    await run_until(clock, [client, partner], 100)
    await client.send(type="pause")
    paused = await partner.expect("paused")
    assert paused["state"]["paused"] is True
    await run_until(clock, [client, partner], 200)
    assert not client.of("ended")
    # The meter stood still at 100 metered seconds (no snapshot beyond it).
    assert max(meter["elapsed_seconds"] for meter in client.of("meter")) == 100
    await client.send(type="resume")
    resumed = await partner.expect("resumed")
    assert resumed["state"]["paused"] is False
    await run_until(clock, [client, partner], 249)
    assert not partner.of("ended")
    # Running again: at wall second 230 the meter showed 130 metered seconds.
    assert (130, False) in [(m["elapsed_seconds"], m["paused"]) for m in client.of("meter")]
    await run_until(clock, [client, partner], 252, step=1)
    for socket in (client, partner):
        ended = await socket.expect("ended")
        assert (ended["state"]["duration_seconds"], ended["state"]["amount_minor"]) == (150, 500)
        await socket.expect("settled")
    assert await check(s) == 0
    await client.close()
    await partner.close()


async def test_pause_without_the_policy_is_refused(clock: ManualTimebase) -> None:
    s = await make_scene(balance_minor=500, rate_minor=200)
    _consultation, client, partner = await live(s, clock)
    await client.send(type="pause")
    assert (await client.expect("error"))["code"] == "pause_not_allowed"
    await partner.send(type="pause")
    assert (await partner.expect("error"))["code"] == "unknown_type"
    await run_until(clock, [client, partner], 152, step=2)
    ended = await client.expect("ended")
    assert (ended["state"]["duration_seconds"], ended["state"]["amount_minor"]) == (150, 500)
    await client.expect("settled")
    assert await check(s) == 0
    await client.close()
    await partner.close()


async def _status(consultation: Consultation) -> str:
    await database_sync_to_async(consultation.refresh_from_db)()
    return str(consultation.status)


async def test_with_a_worker_the_cut_off_is_booked_there(
    clock: ManualTimebase, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Production: the socket announces the cut-off and queues the booking for a Celery
    worker; the worker books exactly the paid time, once even when redelivered."""
    queued: list[tuple[Any, ...]] = []
    monkeypatch.setattr(tasks, "server_cut_off_available", lambda: True)
    # The ends of a window go as one burst (`tasks.ends`, one list of `end`'s arguments).
    monkeypatch.setattr(tasks.ends, "apply_async", lambda args: queued.append(args))
    s = await make_scene(balance_minor=500, rate_minor=200)
    consultation, client, partner = await live(s, clock)
    await run_until(clock, [client, partner], 153, step=1)
    assert (await client.expect("ended"))["state"]["duration_seconds"] == 150
    await partner.expect("ended")
    await asyncio.sleep(booking.BURST_WINDOW_SECONDS * 2)
    # Only the client's socket books (the partner heard the announcement in time).
    assert [(item[1], item[2]) for burst in queued for item in burst[0]] == [("balance", 150)]
    assert await _status(consultation) == "live"
    for _redelivery in range(2):
        await database_sync_to_async(tasks.ends)(*queued[0])
    assert (await partner.expect("settled"))["state"]["amount_minor"] == 500
    assert await _status(consultation) == "settled"
    assert await check(s) == 0
    await client.close()
    await partner.close()


async def test_a_refusing_broker_books_in_process(
    clock: ManualTimebase, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(args: Any) -> None:
        raise ConnectionError("broker down")

    monkeypatch.setattr(tasks, "server_cut_off_available", lambda: True)
    monkeypatch.setattr(tasks.ends, "apply_async", refuse)
    s = await make_scene(balance_minor=500, rate_minor=200)
    consultation, client, partner = await live(s, clock)
    await run_until(clock, [client, partner], 50)
    await partner.send(type="end")
    # The end waits out the burst window (booking.BURST_WINDOW_SECONDS) before the broker
    # refuses it; each attempt of `expect` waits at least 0.03 s.
    attempts = int(booking.BURST_WINDOW_SECONDS / 0.03) + 100
    ended = await client.expect("ended", attempts=attempts)
    assert (ended["state"]["duration_seconds"], ended["state"]["amount_minor"]) == (50, 167)
    assert await _status(consultation) == "settled"
    assert await check(s) == 333
    await client.close()
    await partner.close()


async def test_top_up_at_147_seconds_moves_the_cut_off(clock: ManualTimebase) -> None:
    """A top-up in the last seconds before the cut-off (after the socket's own look for
    one at paid − 5 s) still extends the consultation without interruption, because the
    credit itself extends it."""
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
