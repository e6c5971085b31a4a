"""The authorization matrix for WebSockets: every route of config/routing.py, opened as
every actor on every host, against `accounts.access.WEBSOCKET_RULES` (refused: closed
before it is accepted; allowed: accepted, unless the route names an object the actor
does not own). A route missing from the table is refused to everyone."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client

from sprechzeit.accounts import access
from sprechzeit.accounts.access import Host
from sprechzeit.accounts.models import User
from sprechzeit.accounts.services import staff_create
from sprechzeit.accounts.tests.factories import client_create, login_verified, partner_with_listing
from sprechzeit.config.routing import websocket_urlpatterns
from sprechzeit.consultations.services import consultation_request
from sprechzeit.consultations.tests.factories import scene
from sprechzeit.platforms.tests.factories import platform_create

from .authz_world import ACTORS, HOSTS, STAFF_ROLES, counts_as


def _sessions() -> tuple[dict[str, str], dict[str, str], dict[str, frozenset[str]]]:
    """Session cookies of every actor, path parameters, and who owns what."""
    a = platform_create(slug="a")
    b = platform_create(slug="b")
    scene_a = scene(platform=a, balance_minor=5000)
    partner_1, client_a = scene_a.partner, scene_a.client
    partner_2, _listing_2 = partner_with_listing(platform=a)
    consultation = consultation_request(client=client_a, listing=scene_a.listing)
    users = {
        "client_a": client_a.user,
        "client_b": client_create(platform=b).user,
        "partner_1": partner_1.user,
        "partner_2": partner_2.user,
        "superuser": User.objects.create_superuser("chefin@example.com", "richtig-geheim-42"),
    }
    for actor, role in STAFF_ROLES.items():
        users[actor] = staff_create(email=f"{actor}@example.com", password=None, role=role)
    cookies = {}
    for actor, user in users.items():
        browser = Client()
        login_verified(browser, user)
        cookies[actor] = str(browser.cookies[settings.SESSION_COOKIE_NAME].value)
    params = {"consultation_id": str(consultation.pk)}
    owners = {"ws/consultations/<uuid:consultation_id>/": frozenset({"client_a", "partner_1"})}
    return cookies, params, owners


async def _opens(path: str, host: str, cookie: str | None) -> bool:
    from sprechzeit.config.asgi import application  # noqa: PLC0415

    headers: list[tuple[bytes, bytes]] = [
        (b"host", host.encode()),
        (b"origin", f"http://{host}".encode()),
    ]
    if cookie:
        headers.append((b"cookie", f"{settings.SESSION_COOKIE_NAME}={cookie}".encode()))
    communicator = WebsocketCommunicator(application, path, headers=headers)
    connected, _code = await communicator.connect()
    await communicator.disconnect()
    return bool(connected)


def _expected(route: str, actor: str, host: str, owners: dict[str, frozenset[str]]) -> bool:
    rule = access.WEBSOCKET_RULES[route]
    kind = Host.NETWORK if host == "net" else Host.PLATFORM
    if not rule.allows(counts_as(actor, host), kind):
        return False
    return actor in owners.get(route, frozenset({actor}))


@pytest.mark.django_db(transaction=True)
async def test_every_websocket_route_as_every_actor_on_every_host() -> None:
    cookies, params, owners = await sync_to_async(_sessions)()
    routes = [str(route.pattern) for route in websocket_urlpatterns]
    assert sorted(routes) == sorted(access.WEBSOCKET_RULES)  # every route is declared
    failures: list[str] = []
    for route in routes:
        path = "/" + re.sub(r"<(?:\w+:)?(\w+)>", lambda m: params.get(m[1], "x"), route)
        for host, name in HOSTS.items():
            for actor in ACTORS:
                opened = await _opens(path, name, cookies.get(actor))
                expected = _expected(route, actor, host, owners)
                if opened != expected:
                    failures.append(f"{path} as {actor} on {host}: opened={opened}")
    assert failures == [], "\n".join(failures)


@pytest.mark.django_db(transaction=True)
async def test_a_websocket_route_missing_from_the_table_is_refused(monkeypatch: Any) -> None:
    await sync_to_async(platform_create)(slug="a")
    assert await _opens("/ws/ping/", HOSTS["a"], None)
    monkeypatch.delitem(access.WEBSOCKET_RULES, "ws/ping/")
    assert not await _opens("/ws/ping/", HOSTS["a"], None)
    assert not await _opens(f"/ws/nirgends/{uuid.uuid4()}/", HOSTS["a"], None)
