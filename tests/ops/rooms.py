"""Consultations through the cluster's nginx for the failover tests: a live consultation
made with the services (in the test's database, which the nodes share), session cookies
as a login would leave them, and a room socket that behaves like the room script
(`consultations/static/consultations/room.js`): a heartbeat every 10 s, and on a close
before the end, a new connection 2 s later, again and again."""

from __future__ import annotations

import asyncio
import json
import ssl
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.test import override_settings
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus

from sprechzeit.accounts.sessions import SESSION_HOST_KEY
from sprechzeit.consultations.models import Consultation
from sprechzeit.consultations.services import consultation_accept, consultation_request
from sprechzeit.consultations.tests.factories import Scene, scene
from sprechzeit.platforms.models import PlatformDomain
from sprechzeit.platforms.tests.factories import platform_create
from tests.ops.cluster import Cluster
from tests.ops.redis_server import RedisServer, redis_server

# As the room script (room.js): heartbeat interval, and the wait before a new connection.
HEARTBEAT_SECONDS = 10.0
RECONNECT_SECONDS = 2.0
# The nodes' environment for rooms through nginx: https://localhost is a platform's host
# (its `PlatformDomain`), not one of the network's (clients count only on their platform's).
ROOM_ENVIRONMENT = {"NETWORK_HOSTS": "127.0.0.1"}


@contextmanager
def room_cluster(folder: Path, *, database_url: str) -> Iterator[tuple[Cluster, RedisServer]]:
    """Two nodes behind nginx for rooms, on a Redis of the test's own (a test may stop it)."""
    with (
        redis_server(folder / "redis") as redis,
        Cluster.start(
            folder,
            database_url=database_url,
            nodes=2,
            redis_url=redis.url,
            extra_environment=ROOM_ENVIRONMENT,
        ) as cluster,
    ):
        yield cluster, redis


# In production the session cookie is host-only with the __Host- prefix.
COOKIE_NAME = "__Host-sessionid"


def session_cookie(user: Any, *, secret_key: str) -> str:
    """A session as a login on https://localhost would leave it (signed with the nodes'
    secret key)."""
    with override_settings(SECRET_KEY=secret_key):
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session[SESSION_HOST_KEY] = "localhost"
        session.create()
    return f"{COOKIE_NAME}={session.session_key}"


@dataclass(frozen=True)
class LiveConsultation:
    scene: Scene
    consultation: Consultation
    client_cookie: str
    partner_cookie: str


BALANCE_MINOR = 2000


def live_consultation(
    *, secret_key: str, balance_minor: int = BALANCE_MINOR, rate_minor: int = 200
) -> LiveConsultation:
    """A consultation the partner has accepted (live from now), 10 minutes paid."""
    # The platform's own host is the one nginx answers on (clients count only there).
    domain = PlatformDomain.objects.filter(host="localhost").select_related("platform").first()
    platform = (
        domain.platform
        if domain is not None
        else platform_create(hosts=("localhost",), rate_min_minor=99, rate_max_minor=999)
    )
    made = scene(balance_minor=balance_minor, rate_minor=rate_minor, platform=platform)
    consultation = consultation_request(client=made.client, listing=made.listing)
    consultation = consultation_accept(consultation=consultation, partner=made.partner)
    return LiveConsultation(
        scene=made,
        consultation=consultation,
        client_cookie=session_cookie(made.client.user, secret_key=secret_key),
        partner_cookie=session_cookie(made.partner.user, secret_key=secret_key),
    )


@dataclass
class RoomSocket:
    """One side's room socket through nginx, reconnecting like the room script; every
    frame received is kept in `frames` with the monotonic time it arrived."""

    https_port: int
    tls: ssl.SSLContext
    consultation_id: str
    cookie: str
    frames: list[tuple[float, dict[str, Any]]] = field(default_factory=list)
    connections: int = 0
    closed_at: list[float] = field(default_factory=list)
    ended: bool = False
    errors: list[str] = field(default_factory=list)
    _socket: ClientConnection | None = None
    _task: asyncio.Task[None] | None = None
    _arrived: asyncio.Event = field(default_factory=asyncio.Event)

    def start(self) -> None:
        self._task = asyncio.ensure_future(self._run())

    async def stop(self) -> None:
        self.ended = True
        if self._socket is not None:
            await self._socket.close()
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def send(self, **frame: Any) -> None:
        assert self._socket is not None
        await self._socket.send(json.dumps(frame))

    def of(self, kind: str) -> list[dict[str, Any]]:
        return [frame for _at, frame in self.frames if frame["type"] == kind]

    async def wait_for(
        self, kind: str, *, count: int = 1, timeout: float = 30.0, after: float = 0.0
    ) -> dict[str, Any]:
        """The `count`-th frame of `kind` that arrived after `after` (monotonic)."""
        try:
            async with asyncio.timeout(timeout):
                return await self._wait_for(kind, count, after)
        except TimeoutError:
            raise AssertionError(
                f"no {kind!r} #{count}: got {[f['type'] for _at, f in self.frames]}, "
                f"errors {self.errors}"
            ) from None

    async def _wait_for(self, kind: str, count: int, after: float) -> dict[str, Any]:
        while True:
            seen = [f for at, f in self.frames if f["type"] == kind and at >= after]
            if len(seen) >= count:
                return seen[count - 1]
            self._arrived.clear()
            await self._arrived.wait()

    async def _run(self) -> None:
        while not self.ended:
            try:
                async with connect(
                    f"wss://localhost:{self.https_port}/ws/consultations/{self.consultation_id}/",
                    ssl=self.tls,
                    origin=f"https://localhost:{self.https_port}",  # type: ignore[arg-type]
                    additional_headers={"Cookie": self.cookie},
                    open_timeout=10,
                    ping_interval=None,  # a browser answers pings and sends none
                ) as socket:
                    self._socket = socket
                    self.connections += 1
                    beating = asyncio.ensure_future(self._beat(socket))
                    try:
                        async for raw in socket:
                            frame = json.loads(raw)
                            self.frames.append((time.monotonic(), frame))
                            self._arrived.set()
                            if frame["type"] in ("ended", "settled"):
                                self.ended = True
                    finally:
                        beating.cancel()
            except (
                ConnectionClosed,
                InvalidHandshake,
                InvalidStatus,
                OSError,
                TimeoutError,
            ) as exc:
                self.errors.append(repr(exc))
            self._socket = None
            self.closed_at.append(time.monotonic())
            self._arrived.set()
            if not self.ended:
                await asyncio.sleep(RECONNECT_SECONDS)

    async def _beat(self, socket: ClientConnection) -> None:
        while True:
            await asyncio.sleep(HEARTBEAT_SECONDS)
            await socket.send(json.dumps({"type": "heartbeat"}))


def node_connections(port: int) -> int:
    """Established TCP connections to a node's port (nginx's upstream connections)."""
    count = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        path = Path(table)
        if not path.exists():
            continue
        for line in path.read_text().splitlines()[1:]:
            fields = line.split()
            local_port = int(fields[1].rsplit(":", 1)[1], 16)
            if local_port == port and fields[3] == "01":
                count += 1
    return count
