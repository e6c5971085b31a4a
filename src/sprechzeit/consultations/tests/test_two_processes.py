"""Two real server processes (uvicorn) on the Redis channel layer: the client on one,
the partner on the other; and a crash of both, cleaned up by the reaper.

Runs in the PostgreSQL pass (the servers must share the test database) and needs Redis
on 127.0.0.1:6379: an unreachable Redis fails the test, it is never skipped.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from channels.db import database_sync_to_async
from django.conf import settings as django_settings
from django.db import connection
from django.test import Client
from websockets.asyncio.client import ClientConnection, connect

from sprechzeit.consultations.models import Consultation
from sprechzeit.consultations.protocol import ClientFrame
from sprechzeit.consultations.services import consultation_request, consultations_reap
from sprechzeit.consultations.tests.factories import Scene, scene
from sprechzeit.core import clock
from sprechzeit.ledger.tests.helpers import assert_ledger_sound
from sprechzeit.platforms.tests.factories import platform_create

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

# redis-py 8 reads with a 5 s socket timeout by default, exactly channels_redis' blocking
# receive timeout: an idle socket would crash its consumer. A longer timeout in the URL
# avoids that (see var/notes-for-lead.md).
REDIS_URL = os.environ.get(
    "SPRECHZEIT_TEST_REDIS_URL", "redis://127.0.0.1:6379/7?socket_timeout=30"
)


@pytest.fixture
def redis_layer(settings: Any) -> None:
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL]},
        }
    }
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _wait_for(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(
                f"server on {port} exited: {process.stderr and process.stderr.read()!r}"
            )
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise AssertionError(f"server on {port} did not start")


@pytest.fixture(scope="module")
def servers(django_db_setup: None) -> Iterator[list[tuple[subprocess.Popen[bytes], int]]]:
    """Two uvicorn processes for the module (starting Django takes seconds); the last
    test kills them."""
    database = connection.settings_dict
    url = (
        f"postgres://{database['USER'] or 'postgres'}@{database['HOST'] or '127.0.0.1'}:"
        f"{database['PORT'] or 5432}/{database['NAME']}"
    )
    # The sockets come in on the test platform's own host ("localhost", see `_setup`), not
    # on one of the network's: clients count only on their platform's host (accounts.access).
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "REDIS_URL": REDIS_URL,
        "SPRECHZEIT_MODE": "test",
        "NETWORK_HOSTS": "127.0.0.1",
    }
    started = []
    for _ in range(2):
        port = _free_port()
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "sprechzeit.config.asgi:application",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--log-level",
                "warning",
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        started.append((process, port))
    try:
        for process, port in started:
            _wait_for(port, process)
        yield started
    finally:
        for process, _port in started:
            if process.poll() is None:
                process.terminate()
        for process, _port in started:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


def _session_cookie(user: Any) -> str:
    browser = Client()
    browser.force_login(user)
    return f"{django_settings.SESSION_COOKIE_NAME}={browser.cookies[django_settings.SESSION_COOKIE_NAME].value}"


async def _open(port: int, path: str, cookie: str) -> ClientConnection:
    return await connect(f"ws://localhost:{port}{path}", additional_headers={"Cookie": cookie})


async def _send(ws: ClientConnection, frame: ClientFrame) -> None:
    await ws.send(json.dumps(frame))


async def _until(
    ws: ClientConnection, kind: str, timeout: float = 10, **fields: Any
) -> dict[str, Any]:
    async with asyncio.timeout(timeout):
        while True:
            message: dict[str, Any] = json.loads(await ws.recv())
            if message["type"] == kind and all(message.get(k) == v for k, v in fields.items()):
                return message


async def _setup(balance_minor: int) -> tuple[Scene, str, str]:
    platform = await database_sync_to_async(platform_create)(
        hosts=("localhost",), rate_min_minor=99, rate_max_minor=999
    )
    s: Scene = await database_sync_to_async(scene)(
        balance_minor=balance_minor, rate_minor=200, platform=platform
    )
    client_cookie = await database_sync_to_async(_session_cookie)(s.client.user)
    partner_cookie = await database_sync_to_async(_session_cookie)(s.partner.user)
    return s, client_cookie, partner_cookie


async def _start(
    s: Scene, client_port: int, partner_port: int, client_cookie: str, partner_cookie: str
) -> tuple[Consultation, ClientConnection, ClientConnection]:
    requests = await _open(partner_port, "/ws/partner/requests/", partner_cookie)
    await _until(requests, "hello")
    consultation: Consultation = await database_sync_to_async(consultation_request)(
        client=s.client, listing=s.listing
    )
    incoming = await _until(requests, "request")
    assert incoming["consultation"] == str(consultation.pk)
    client = await _open(client_port, f"/ws/consultations/{consultation.pk}/", client_cookie)
    await _until(client, "hello")
    await _send(requests, {"type": "accept", "consultation": str(consultation.pk)})
    await _until(requests, "accepted")
    await requests.close()
    await _until(client, "started")
    partner = await _open(partner_port, f"/ws/consultations/{consultation.pk}/", partner_cookie)
    await _until(partner, "hello")
    return consultation, client, partner


async def test_client_and_partner_on_two_processes(
    servers: list[tuple[subprocess.Popen[bytes], int]], redis_layer: None
) -> None:
    (_a, port_a), (_b, port_b) = servers
    # 0.10 € at 2.00 €/min per second: the server cuts off after exactly 3 s.
    s, client_cookie, partner_cookie = await _setup(balance_minor=10)
    _consultation, client, partner = await _start(s, port_a, port_b, client_cookie, partner_cookie)
    await _send(client, {"type": "chat", "body": "Hallo aus Prozess A"})
    assert (await _until(partner, "chat", sender="client"))["body"] == "Hallo aus Prozess A"
    await _send(partner, {"type": "chat", "body": "Antwort aus Prozess B"})
    assert (await _until(client, "chat", sender="partner"))["body"] == "Antwort aus Prozess B"
    for ws in (client, partner):
        ended = await _until(ws, "ended")
        assert ended["state"]["reason"] == "balance"
        assert (ended["state"]["duration_seconds"], ended["state"]["amount_minor"]) == (3, 10)
        settled = await _until(ws, "settled")
        assert settled["state"]["status"] == "settled"
        await ws.close()
    await database_sync_to_async(assert_ledger_sound)()


async def test_killed_servers_are_reaped_at_the_last_heartbeat(
    servers: list[tuple[subprocess.Popen[bytes], int]], redis_layer: None
) -> None:
    (process_a, port_a), (process_b, port_b) = servers
    s, client_cookie, partner_cookie = await _setup(balance_minor=500)
    consultation, client, partner = await _start(s, port_a, port_b, client_cookie, partner_cookie)
    for ws in (client, partner):
        await _send(ws, {"type": "heartbeat"})
        await _until(ws, "heartbeat.ack")
    for process in (process_a, process_b):
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
    await database_sync_to_async(consultation.refresh_from_db)()
    assert consultation.status == Consultation.Status.LIVE
    assert consultation.started_at is not None
    later = clock.now() + timedelta(seconds=40)
    reaped = await database_sync_to_async(consultations_reap)(now=later)
    assert reaped.ended == 1
    await database_sync_to_async(consultation.refresh_from_db)()
    assert consultation.status == Consultation.Status.SETTLED
    assert consultation.end_reason == Consultation.EndReason.REAPER
    assert consultation.duration_seconds is not None
    assert consultation.duration_seconds <= 5
    await database_sync_to_async(assert_ledger_sound)()
