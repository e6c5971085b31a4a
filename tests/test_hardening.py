"""Response hardening: the Content-Security-Policy on every page with no inline code
outside its nonce, HSTS and the SSL redirect in production, the back office only on the
network's hosts, and partner and staff sessions bound to the host of their login."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from typing import Any

import pytest
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver

from sprechzeit.accounts import roles
from sprechzeit.accounts.models import Listing, User
from sprechzeit.accounts.services import staff_create
from sprechzeit.accounts.sessions import SESSION_HOST_KEY
from sprechzeit.accounts.tests.factories import (
    PASSWORD,
    login_verified,
    partner_with_listing,
    totp_device_confirmed,
    totp_now,
)
from sprechzeit.demo.seed import CLIENT_EMAIL, STAFF, demo_seed
from sprechzeit.platforms.tests.factories import platform_create
from sprechzeit.site.middleware import NETWORK_ONLY_PREFIXES
from sprechzeit.site.tests.csp import assert_strict_csp

NET = {"host": "127.0.0.1"}
COACHING = {"host": "coaching.localhost"}
A = {"host": "a.localhost"}
B = {"host": "b.localhost"}


def _staff(email: str = "admin@example.com", role: str = roles.ADMIN) -> User:
    return staff_create(email=email, password=PASSWORD, role=role)


@pytest.mark.django_db
def test_every_page_has_a_strict_csp_and_no_inline_code_outside_its_nonce() -> None:
    demo_seed()
    listing = Listing.objects.filter(platform__slug="coaching").first()
    assert listing is not None
    visitor = Client()
    pages = [
        (visitor, NET, "/"),
        (visitor, COACHING, "/"),
        (visitor, COACHING, "/berater/"),
        (visitor, COACHING, f"/berater/{listing.slug}/"),
        (visitor, COACHING, "/anmelden/"),
        (visitor, COACHING, "/registrieren/"),
        (visitor, COACHING, "/kontakt/"),
        (visitor, COACHING, "/passwort/vergessen/"),
        (visitor, COACHING, "/gibt-es-nicht/"),
        (visitor, {"host": "unbekannt.example"}, "/"),
    ]
    client = Client()
    login_verified(client, User.objects.get(email=CLIENT_EMAIL, platform__slug="coaching"))
    pages += [
        (client, COACHING, path)
        for path in ("/konto/", "/guthaben/", "/guthaben/aufladen/", "/beratungen/")
    ]
    partner = Client()
    login_verified(partner, listing.partner.user)
    pages += [
        (partner, COACHING, path)
        for path in ("/partner/", f"/partner/profile/{listing.pk}/", "/berater/anfragen/")
    ]
    staff = Client()
    admin = User.objects.get(email=STAFF[0][0])
    login_verified(staff, admin)
    pages += [
        (staff, NET, path)
        for path in (
            "/admin/",
            "/admin/accounts/user/",
            f"/admin/accounts/user/{admin.pk}/change/",
            "/admin/ledger/account/",
            "/admin/statements/statement/",
        )
    ]
    for browser, host, path in pages:
        response = browser.get(path, headers=host)
        assert response.status_code in (200, 404), (path, response.status_code)
        assert_strict_csp(response, host["host"])
    # The top-up page's preset buttons work without inline handlers (payments/topup.js).
    topup = client.get("/guthaben/aufladen/", headers=COACHING).content.decode()
    assert "data-preset-amount=" in topup
    assert "payments/topup.js" in topup


def test_websocket_origin_follows_the_scheme() -> None:
    with override_settings(SECURE_PROXY_SSL_HEADER=("HTTP_X_FORWARDED_PROTO", "https")):
        response = Client().get("/gibt-es-nicht/", headers={**NET, "x-forwarded-proto": "https"})
    assert "connect-src 'self' wss://127.0.0.1;" in response["Content-Security-Policy"]


# --- production settings ------------------------------------------------------------------


def test_production_settings_redirect_to_https_with_hsts_and_secure_cookies() -> None:
    names = [
        "SECURE_SSL_REDIRECT",
        "SECURE_PROXY_SSL_HEADER",
        "SECURE_HSTS_SECONDS",
        "SECURE_HSTS_INCLUDE_SUBDOMAINS",
        "SESSION_COOKIE_SECURE",
        "SESSION_COOKIE_NAME",
        "CSRF_COOKIE_SECURE",
        "CSRF_COOKIE_NAME",
        "LANGUAGE_COOKIE_SECURE",
        "SESSION_COOKIE_HTTPONLY",
    ]
    script = (
        "import json, django; django.setup(); from django.conf import settings; "
        f"print(json.dumps({{name: getattr(settings, name) for name in {names!r}}}))"
    )
    env = {
        "PATH": "/usr/bin:/bin",
        "SPRECHZEIT_MODE": "production",
        "SECRET_KEY": "k" * 50,
        "DJANGO_SETTINGS_MODULE": "sprechzeit.config.settings",
        "VAR_DIR": str(settings.MEDIA_ROOT),
    }
    result = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
    )
    chosen = json.loads(result.stdout)
    assert chosen["SECURE_SSL_REDIRECT"] is True
    assert chosen["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert chosen["SECURE_HSTS_SECONDS"] >= 365 * 24 * 3600
    assert chosen["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert chosen["SESSION_COOKIE_SECURE"]
    assert chosen["CSRF_COOKIE_SECURE"]
    assert chosen["LANGUAGE_COOKIE_SECURE"]
    assert chosen["SESSION_COOKIE_HTTPONLY"]
    assert chosen["SESSION_COOKIE_NAME"].startswith("__Host-")
    assert chosen["CSRF_COOKIE_NAME"].startswith("__Host-")


@pytest.mark.django_db
@override_settings(
    SECURE_SSL_REDIRECT=True,
    SECURE_PROXY_SSL_HEADER=("HTTP_X_FORWARDED_PROTO", "https"),
    SECURE_HSTS_SECONDS=365 * 24 * 3600,
    SECURE_HSTS_INCLUDE_SUBDOMAINS=True,
)
def test_plain_http_is_redirected_and_https_behind_the_proxy_gets_hsts() -> None:
    platform_create(slug="a")
    browser = Client()
    plain = browser.get("/impressum/", headers=A)
    assert plain.status_code == 301
    assert plain["Location"] == "https://a.localhost/impressum/"
    secure = browser.get("/impressum/", headers={**A, "x-forwarded-proto": "https"})
    assert secure.status_code == 200
    assert secure["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


# --- the back office on the network's hosts only ------------------------------------


def _routes(patterns: list[URLPattern | URLResolver], prefix: str = "") -> list[str]:
    found: list[str] = []
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            found += _routes(pattern.url_patterns, route)
        else:
            found.append(route)
    return found


def _concrete(route: str) -> str | None:
    """A path for a `path()` route (converters filled with 1), None for regex routes."""
    if "(?P" in route or route.startswith("^") or "$" in route:
        return None
    return "/" + re.sub(r"<(?:\w+:)?\w+>", "1", route)


@pytest.mark.django_db
def test_admin_and_staff_pages_are_404_on_a_platform_host() -> None:
    platform_create(slug="a")
    staff = Client()
    login_verified(staff, _staff())
    paths = sorted(
        {
            path
            for route in _routes(get_resolver().url_patterns)
            if (path := _concrete(route)) and path.startswith(NETWORK_ONLY_PREFIXES)
        }
    )
    assert "/admin/" in paths
    assert any(path.startswith("/verwaltung/") for path in paths)
    for path in paths:
        assert staff.get(path, headers=A).status_code == 404, path
        assert staff.post(path, {}, headers=A).status_code == 404, path
    # On the network's host the back office is there.
    assert staff.get("/admin/", headers=NET).status_code == 200
    assert staff.get("/admin/accounts/user/", headers=NET).status_code == 200


# --- sessions bound to the host of the login --------------------------------------------


def _log_in_with_totp(browser: Client, email: str, host: dict[str, str], device: Any) -> None:
    response = browser.post("/anmelden/", {"email": email, "password": PASSWORD}, headers=host)
    assert response["Location"] == "/anmelden/code/"
    response = browser.post("/anmelden/code/", {"token": totp_now(device)}, headers=host)
    assert response.status_code == 302


@pytest.mark.django_db
def test_a_partner_session_counts_only_on_the_host_of_its_login() -> None:
    a = platform_create(slug="a")
    platform_create(slug="b")
    partner, _listing = partner_with_listing(platform=a, email="bea@example.com")
    device = totp_device_confirmed(user=partner.user)
    browser = Client()
    _log_in_with_totp(browser, "bea@example.com", A, device)
    assert browser.get("/partner/", headers=A).status_code == 200
    assert browser.session[SESSION_HOST_KEY] == "a.localhost"
    # The same cookie on platform B, or on the network's host: anonymous.
    assert browser.get("/partner/", headers=B)["Location"].startswith("/anmelden/")
    assert browser.get("/partner/", headers=NET)["Location"].startswith("/anmelden/")
    # ... and it still works where it was issued (a port does not matter).
    assert browser.get("/partner/", headers={"host": "a.localhost:8000"}).status_code == 200


@pytest.mark.django_db
def test_a_staff_session_counts_only_on_the_host_of_its_login() -> None:
    staff = _staff()
    device = totp_device_confirmed(user=staff)
    browser = Client()
    _log_in_with_totp(browser, "admin@example.com", NET, device)
    assert browser.get("/admin/", headers=NET).status_code == 200
    # "localhost" is a network host too, but not the one of this login.
    assert browser.get("/admin/", headers={"host": "localhost"})["Location"].startswith(
        "/admin/login/"
    )


@pytest.mark.django_db
def test_a_partner_session_without_a_recorded_host_counts_nowhere() -> None:
    a = platform_create(slug="a")
    partner, _listing = partner_with_listing(platform=a)
    browser = Client()
    login_verified(browser, partner.user)
    assert browser.get("/partner/", headers=A).status_code == 200
    session = browser.session
    del session[SESSION_HOST_KEY]  # as a session from before the binding
    session.save()
    assert browser.get("/partner/", headers=A)["Location"].startswith("/anmelden/")


@pytest.mark.django_db(transaction=True)
async def test_a_partner_socket_counts_only_on_the_host_of_its_login() -> None:
    from asgiref.sync import sync_to_async  # noqa: PLC0415

    from sprechzeit.config.asgi import application  # noqa: PLC0415

    def log_in() -> str:
        a = platform_create(slug="a")
        platform_create(slug="b")
        partner, _listing = partner_with_listing(platform=a, email="bea@example.com")
        browser = Client()
        _log_in_with_totp(browser, "bea@example.com", A, totp_device_confirmed(user=partner.user))
        return str(browser.cookies[settings.SESSION_COOKIE_NAME].value)

    cookie = await sync_to_async(log_in)()

    async def opens_on(host: str) -> bool:
        communicator = WebsocketCommunicator(
            application,
            "/ws/partner/requests/",
            headers=[
                (b"host", host.encode()),
                (b"origin", f"http://{host}".encode()),
                (b"cookie", f"{settings.SESSION_COOKIE_NAME}={cookie}".encode()),
            ],
        )
        connected, _code = await communicator.connect()
        await communicator.disconnect()
        return bool(connected)

    assert await opens_on("a.localhost")
    assert not await opens_on("b.localhost")
