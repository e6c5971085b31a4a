"""Database transactions per consultation, counted deterministically and pinned.

One chat consultation the way `bench/consultations.py` runs it, through the production
ASGI application (session cookie, access table, the room consumer) on the in-memory
channel layer with a manual clock: the request, both room sockets connecting, the
partner's accept, 180 paid seconds with heartbeats every 10 s from both sides, the
look for a top-up before the cut-off, the cut-off at the paid second with its
settlement, and both sockets closing. Every transaction on every connection of the
process counts (`core.dbcount`): an atomic block that ran a statement, or a statement
in autocommit. docs/performance.md says what each one is for.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.core.cache import cache

from sprechzeit.accounts.middleware import HostBoundSessionMiddleware, WebSocketAccessMiddleware
from sprechzeit.accounts.sessions import SESSION_HOST_KEY
from sprechzeit.accounts.socket_auth import auth_middleware_stack
from sprechzeit.consultations.models import Consultation
from sprechzeit.consultations.realtime import timebase
from sprechzeit.consultations.realtime.timebase import ManualTimebase
from sprechzeit.consultations.routing import websocket_urlpatterns
from sprechzeit.consultations.services import consultation_accept, consultation_request
from sprechzeit.consultations.tests.factories import Scene, scene
from sprechzeit.core.dbcount import Transactions, transactions_counted
from sprechzeit.ledger.tests.helpers import assert_ledger_sound
from sprechzeit.platforms.models import PlatformDomain

# PostgreSQL only for now: on SQLite, run after the worker tests of test_realtime.py in the
# whole suite, the settlement never arrives (not yet understood; alone or with its own
# app's tests it passes on SQLite too). The count is pinned on the production database.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]

# The WebSocket stack of `config.asgi` (which this layer may not import) around the room.
application = auth_middleware_stack(
    HostBoundSessionMiddleware(
        WebSocketAccessMiddleware(URLRouter(websocket_urlpatterns), routes=websocket_urlpatterns)
    )
)

HOST = "beratung.example.com"
PAID_SECONDS = 180
# The goal of issue #19 is at most 12; the number is pinned so that a change that adds a
# transaction to the path of every consultation fails here.
TRANSACTIONS_PER_CONSULTATION = 12


@pytest.fixture(autouse=True)
def _in_memory_layer(settings: Any) -> None:
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    settings.ALLOWED_HOSTS = [HOST]
    cache.clear()


@pytest.fixture
def clock() -> Iterator[ManualTimebase]:
    manual = ManualTimebase(datetime.now(tz=UTC).replace(microsecond=0))
    with timebase.use(manual):
        yield manual


def _cookie(user: Any) -> str:
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session[SESSION_HOST_KEY] = HOST
    session.create()
    return f"{settings.SESSION_COOKIE_NAME}={session.session_key}"


def _set_up() -> tuple[Scene, str, str]:
    s = scene(balance_minor=600, rate_minor=200, warning_seconds="")
    PlatformDomain.objects.create(platform=s.platform, host=HOST, is_primary=True)
    return s, _cookie(s.client.user), _cookie(s.partner.user)


def _accept(consultation_id: str) -> None:
    # As the bench's accepting process does it.
    consultation = Consultation.objects.select_related("partner").get(pk=consultation_id)
    consultation_accept(consultation=consultation, partner=consultation.partner)


async def _socket(consultation_id: str, cookie: str) -> WebsocketCommunicator:
    communicator = WebsocketCommunicator(
        application,
        f"/ws/consultations/{consultation_id}/",
        headers=[(b"host", HOST.encode()), (b"cookie", cookie.encode())],
    )
    connected, code = await communicator.connect()
    assert connected, code
    assert (await communicator.receive_json_from())["type"] == "hello"
    return communicator


async def _until(communicator: WebsocketCommunicator, kind: str) -> dict[str, Any]:
    for _ in range(1000):  # up to 20 s: the settlement runs in a thread of its own
        if await communicator.receive_nothing(timeout=0.02, interval=0.005):
            continue
        message: dict[str, Any] = await communicator.receive_json_from()
        if message["type"] == kind:
            return message
    raise AssertionError(f"no {kind!r}")


async def _drain(communicator: WebsocketCommunicator) -> None:
    while not await communicator.receive_nothing(timeout=0.01, interval=0.002):
        await communicator.receive_json_from()


async def one_consultation(
    clock: ManualTimebase, counted: Transactions, s: Scene, cookies: tuple[str, str]
) -> str:
    counted.stage = "request"
    consultation = await database_sync_to_async(consultation_request)(
        client=s.client, listing=s.listing, now=clock.now()
    )
    consultation_id = str(consultation.pk)
    counted.stage = "connect"
    client = await _socket(consultation_id, cookies[0])
    partner = await _socket(consultation_id, cookies[1])
    counted.stage = "accept"
    await database_sync_to_async(_accept)(consultation_id)
    await _until(client, "started")
    counted.stage = "live"
    while clock.elapsed() < PAID_SECONDS + 2:
        await clock.advance(min(10.0, PAID_SECONDS + 2 - clock.elapsed()))
        for side in (client, partner):
            await side.send_json_to({"type": "heartbeat"})
            await _drain(side)
    counted.stage = "end"
    ended = await _until(client, "settled")
    assert ended["state"]["duration_seconds"] == PAID_SECONDS
    counted.stage = "close"
    await client.disconnect()
    await partner.disconnect()
    return consultation_id


async def test_a_consultation_costs_at_most_twelve_transactions(clock: ManualTimebase) -> None:
    s, client_cookie, partner_cookie = await database_sync_to_async(_set_up)()
    with transactions_counted() as counted:
        consultation_id = await one_consultation(clock, counted, s, (client_cookie, partner_cookie))
    print(counted.render())  # noqa: T201 - shown when the pin fails
    settled = await database_sync_to_async(Consultation.objects.get)(pk=consultation_id)
    assert (settled.status, settled.duration_seconds, settled.amount_minor) == (
        "settled",
        PAID_SECONDS,
        600,
    )
    await database_sync_to_async(assert_ledger_sound)()
    assert counted.total == TRANSACTIONS_PER_CONSULTATION, counted.by_stage()
