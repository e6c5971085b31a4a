from __future__ import annotations

import pytest
from django.http import HttpRequest, HttpResponse
from django.test import Client, RequestFactory

from sprechzeit.platforms.errors import PlatformInactive, UnknownHost
from sprechzeit.platforms.http import is_platform_request
from sprechzeit.platforms.middleware import PlatformMiddleware
from sprechzeit.platforms.selectors import normalise_host, platform_for_host
from sprechzeit.platforms.tests.factories import platform_create

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("coaching.localhost:8000", "coaching.localhost"),
        ("Coaching.LOCALHOST", "coaching.localhost"),
        ("example.com.", "example.com"),
        ("[::1]:8000", "[::1]"),
        ("127.0.0.1:8000", "127.0.0.1"),
    ],
)
def test_normalise_host(raw: str, expected: str) -> None:
    assert normalise_host(raw) == expected


def test_registered_host_resolves_to_its_platform() -> None:
    platform = platform_create(hosts=("coaching-profis.de", "www.coaching-profis.de"))
    assert platform_for_host(host="www.coaching-profis.de") == platform


def test_slug_dot_localhost_selects_platform_in_development() -> None:
    platform = platform_create(slug="karten")
    assert platform_for_host(host="karten.localhost") == platform


def test_unknown_and_inactive_hosts_raise_typed_errors() -> None:
    platform_create(slug="alt", is_active=False)
    with pytest.raises(UnknownHost):
        platform_for_host(host="nirgendwo.example")
    with pytest.raises(UnknownHost):
        platform_for_host(host="gibtsnicht.localhost")
    with pytest.raises(PlatformInactive):
        platform_for_host(host="alt.localhost")


def test_each_host_renders_its_own_brand(client: Client) -> None:
    platform_create(slug="coaching", name="Coaching-Profis", color_primary="#123456")
    platform_create(slug="karten", name="Kartenlegen-Profis", color_primary="#654321")
    coaching = client.get("/", headers={"host": "coaching.localhost:8000"})
    karten = client.get("/", headers={"host": "karten.localhost"})
    assert coaching.status_code == 200
    assert "Coaching-Profis" in coaching.content.decode()
    assert "--brand:#123456" in coaching.content.decode()
    assert "Kartenlegen-Profis" in karten.content.decode()
    assert "Coaching-Profis" not in karten.content.decode()


def test_unknown_host_gets_friendly_404_not_a_crash(client: Client) -> None:
    response = client.get("/", headers={"host": "evil.example.org"})
    assert response.status_code == 404
    body = response.content.decode()
    assert "keine Plattform" in body
    assert "evil.example.org" in body


def test_inactive_platform_gets_friendly_404(client: Client) -> None:
    platform_create(slug="pause", is_active=False)
    response = client.get("/", headers={"host": "pause.localhost"})
    assert response.status_code == 404
    assert "nicht verfügbar" in response.content.decode()


def test_network_host_lists_active_platforms_only(client: Client) -> None:
    platform_create(slug="coaching", name="Coaching-Profis")
    platform_create(slug="pause", name="Pausierte Plattform", is_active=False)
    response = client.get("/", headers={"host": "127.0.0.1:8000"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "Coaching-Profis" in body
    assert "http://coaching.localhost:8000/" in body
    assert "Pausierte Plattform" not in body


def test_unknown_page_on_platform_is_branded_404(client: Client) -> None:
    platform_create(slug="coaching", name="Coaching-Profis")
    response = client.get("/gibt-es-nicht/", headers={"host": "coaching.localhost"})
    assert response.status_code == 404
    body = response.content.decode()
    assert "Seite nicht gefunden" in body
    assert "Coaching-Profis" in body


def test_impressum_shows_issuing_entity(client: Client) -> None:
    platform_create(slug="coaching")
    response = client.get("/impressum/", headers={"host": "coaching.localhost"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "Betreiber" in body
    assert "DE123456789" in body


@pytest.mark.parametrize(
    ("host", "slug"), [("coaching.localhost", "coaching"), ("127.0.0.1", None)]
)
def test_the_middleware_leaves_a_platform_request(host: str, slug: str | None) -> None:
    platform_create(slug="coaching")
    seen: list[HttpRequest] = []

    def view(request: HttpRequest) -> HttpResponse:
        seen.append(request)
        return HttpResponse("ok")

    request = RequestFactory().get("/", headers={"host": host})
    assert not is_platform_request(request)  # nothing has set the attribute yet
    PlatformMiddleware(view)(request)
    [passed] = seen
    assert is_platform_request(passed)
    assert (passed.platform.slug if passed.platform is not None else None) == slug
