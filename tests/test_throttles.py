"""Throttles on every door: password log-in, TOTP step, password reset, sign-up and the
contact form, per account and per client address (core/throttle.py, accounts/throttles.py)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from ipaddress import ip_network
from typing import Any

import pytest
import uvicorn
from django.core import mail
from django.core.exceptions import ImproperlyConfigured
from django.test import Client

from sprechzeit.accounts.models import User
from sprechzeit.accounts.tests.factories import (
    PASSWORD,
    client_create,
    partner_with_listing,
    totp_device_confirmed,
    totp_now,
)
from sprechzeit.config.env import Env
from sprechzeit.core import clock
from sprechzeit.demo.management.commands.demo import UVICORN_OPTIONS
from sprechzeit.legal.services import legal_documents_start
from sprechzeit.platforms.models import ContactMessage
from sprechzeit.platforms.tests.factories import platform_create

pytestmark = pytest.mark.django_db
A = {"host": "a.localhost"}
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
LOCKED = "Zu viele Versuche"


def _logged_in(browser: Client) -> bool:
    return "Abmelden" in browser.get("/", headers=A).content.decode()


def _login(browser: Client, email: str, password: str) -> Any:
    return browser.post("/anmelden/", {"email": email, "password": password}, headers=A)


def test_eleventh_wrong_password_locks_the_account_until_the_window_ends() -> None:
    platform = platform_create(slug="p")
    client_create(platform=platform, email="kim@example.com")
    host = {"host": "p.localhost"}
    with clock.frozen_at(T0) as frozen:
        for n in range(10):
            # Each from another address: the account's own counter must lock it.
            wrong = Client(REMOTE_ADDR=f"198.51.100.{n + 1}").post(
                "/anmelden/", {"email": "kim@example.com", "password": "falsch"}, headers=host
            )
            assert wrong.status_code == 200
            assert "stimmen nicht" in wrong.content.decode()
        browser = Client(REMOTE_ADDR="203.0.113.7")
        refused = browser.post(
            "/anmelden/", {"email": "KIM@example.com", "password": PASSWORD}, headers=host
        )
        assert refused.status_code == 429
        assert LOCKED in refused.content.decode()
        assert "Abmelden" not in browser.get("/", headers=host).content.decode()
        frozen.tick(minutes=14)
        assert (
            browser.post(
                "/anmelden/", {"email": "kim@example.com", "password": PASSWORD}, headers=host
            ).status_code
            == 429
        )
        frozen.tick(minutes=1, seconds=1)  # the window that opened with the first failure ends
        ok = browser.post(
            "/anmelden/", {"email": "kim@example.com", "password": PASSWORD}, headers=host
        )
        assert ok.status_code == 302
        assert "Abmelden" in browser.get("/", headers=host).content.decode()


def test_correct_passwords_do_not_count_and_the_lock_says_nothing_about_existence() -> None:
    platform = platform_create(slug="c")
    client_create(platform=platform, email="real@example.com")
    host = {"host": "c.localhost"}
    with clock.frozen_at(T0):
        for _ in range(12):  # successes hand their count back
            browser = Client()
            browser.post(
                "/anmelden/", {"email": "real@example.com", "password": PASSWORD}, headers=host
            )
            assert "Abmelden" in browser.get("/", headers=host).content.decode()
        answers = []
        for email in ("real@example.com", "nobody@example.com"):
            for n in range(10):
                Client(REMOTE_ADDR=f"198.51.100.{n + 1}").post(
                    "/anmelden/", {"email": email, "password": "falsch"}, headers=host
                )
            response = Client(REMOTE_ADDR="203.0.113.7").post(
                "/anmelden/", {"email": email, "password": "falsch"}, headers=host
            )
            errors = re.search(
                r'<div class="form-errors".*?</div>', response.content.decode(), re.S
            )
            answers.append((response.status_code, errors.group(0) if errors else ""))
        assert answers[0] == answers[1]
        assert answers[0][0] == 429
        assert LOCKED in answers[0][1]


def test_one_address_trying_many_accounts_is_throttled_others_are_not() -> None:
    platform = platform_create(slug="a")
    client_create(platform=platform, email="kim@example.com")
    attacker = Client(REMOTE_ADDR="203.0.113.66")
    with clock.frozen_at(T0):
        for n in range(30):
            assert _login(attacker, f"guess{n}@example.com", "falsch").status_code == 200
        refused = _login(attacker, "kim@example.com", PASSWORD)
        assert refused.status_code == 429
        assert not _logged_in(attacker)
        visitor = Client(REMOTE_ADDR="198.51.100.1")
        assert _login(visitor, "kim@example.com", PASSWORD).status_code == 302


def test_a_spoofed_forwarded_header_does_not_reset_the_address_count(settings: Any) -> None:
    settings.TRUSTED_PROXIES = ()
    platform_create(slug="a")
    with clock.frozen_at(T0):
        for n in range(30):
            Client(HTTP_X_FORWARDED_FOR=f"192.0.2.{n}").post(
                "/anmelden/", {"email": f"g{n}@example.com", "password": "x"}, headers=A
            )
        refused = Client(HTTP_X_FORWARDED_FOR="192.0.2.200").post(
            "/anmelden/", {"email": "g99@example.com", "password": "x"}, headers=A
        )
        assert refused.status_code == 429


def test_totp_step_is_throttled_per_user_and_unlocks_after_the_window() -> None:
    platform_create(slug="a")
    partner, _listing = partner_with_listing(platform=platform_create(), email="bea@example.com")
    device = totp_device_confirmed(user=partner.user)
    browser = Client()
    with clock.frozen_at(T0) as frozen:
        assert _login(browser, "bea@example.com", PASSWORD)["Location"] == "/anmelden/code/"
        for _ in range(10):
            wrong = browser.post("/anmelden/code/", {"token": "000000"}, headers=A)
            assert wrong.status_code == 200
        # django-otp's own back-off would refuse too; clear it to see ours alone.
        device.throttle_reset()
        refused = browser.post("/anmelden/code/", {"token": totp_now(device)}, headers=A)
        assert refused.status_code == 429
        assert LOCKED in refused.content.decode()
        assert not _logged_in(browser)
        frozen.tick(minutes=15, seconds=1)
        device.refresh_from_db()
        device.throttle_reset()
        ok = browser.post("/anmelden/code/", {"token": totp_now(device)}, headers=A)
        assert ok.status_code == 302
        assert _logged_in(browser)


def test_password_reset_is_throttled_per_address_typed_and_per_client_address(
    django_capture_on_commit_callbacks: Any,
) -> None:
    platform = platform_create(slug="a")
    client_create(platform=platform, email="kim@example.com")
    with clock.frozen_at(T0):
        # Mails go out after commit: the callbacks run when the capture ends.
        with django_capture_on_commit_callbacks(execute=True):
            statuses = [
                Client(REMOTE_ADDR=f"198.51.100.{n + 1}")
                .post("/passwort/vergessen/", {"email": "kim@example.com"}, headers=A)
                .status_code
                for n in range(4)
            ]
        assert statuses == [302, 302, 302, 429]
        assert len(mail.outbox) == 3
        # Unknown addresses: the same answers, no mail.
        with django_capture_on_commit_callbacks(execute=True):
            unknown = [
                Client(REMOTE_ADDR=f"198.51.100.{n + 1}")
                .post("/passwort/vergessen/", {"email": "nobody@example.com"}, headers=A)
                .status_code
                for n in range(4)
            ]
        assert unknown == statuses
        assert len(mail.outbox) == 3
        one = Client(REMOTE_ADDR="203.0.113.5")
        many = [
            one.post("/passwort/vergessen/", {"email": f"n{n}@example.com"}, headers=A).status_code
            for n in range(11)
        ]
        assert many == [302] * 10 + [429]
        assert (
            LOCKED
            in one.post(
                "/passwort/vergessen/", {"email": "z@example.com"}, headers=A
            ).content.decode()
        )


def test_signup_is_throttled_per_client_address(settings: Any) -> None:
    settings.SPRECHZEIT_THROTTLES = {**settings.SPRECHZEIT_THROTTLES, "signup_address": (3, 3600)}
    legal_documents_start(platform=platform_create(slug="a"), valid_from=T0)
    with clock.frozen_at(T0) as frozen:
        statuses = []
        for n in range(4):
            data = {"email": f"neu{n}@example.com", "password": "ein-gutes-passwort-7"}
            response = Client(REMOTE_ADDR="203.0.113.5").post(
                "/registrieren/", {**data, "accept_terms": "on"}, headers=A
            )
            statuses.append(response.status_code)
        assert statuses == [302, 302, 302, 429]
        assert LOCKED in response.content.decode()
        assert not User.objects.filter(email="neu3@example.com").exists()
        other = Client(REMOTE_ADDR="198.51.100.9").post(
            "/registrieren/",
            {"email": "neu3@example.com", "password": "ein-gutes-passwort-7", "accept_terms": "on"},
            headers=A,
        )
        assert other.status_code == 302
        frozen.tick(hours=1, seconds=1)
        later = Client(REMOTE_ADDR="203.0.113.5").post(
            "/registrieren/",
            {"email": "neu9@example.com", "password": "ein-gutes-passwort-7", "accept_terms": "on"},
            headers=A,
        )
        assert later.status_code == 302


CONTACT = {"email": "x@example.com", "subject": "Hallo", "message": "Test", "website": ""}


def test_forwarded_header_from_localhost_no_longer_bypasses_the_contact_limit(
    settings: Any,
) -> None:
    settings.TRUSTED_PROXIES = ()
    platform_create(slug="a")
    statuses = [
        Client(HTTP_X_FORWARDED_FOR=f"192.0.2.{n}")
        .post("/kontakt/", CONTACT, headers=A)
        .status_code
        for n in range(4)
    ]
    assert statuses == [302, 302, 302, 429]
    assert ContactMessage.objects.count() == 3


def test_behind_a_trusted_proxy_each_visitor_has_their_own_contact_limit(settings: Any) -> None:
    settings.TRUSTED_PROXIES = (ip_network("10.0.0.0/8"),)
    platform_create(slug="a")

    def send(forwarded: str) -> int:
        proxy = Client(REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=forwarded)
        return int(proxy.post("/kontakt/", CONTACT, headers=A).status_code)

    first = [send("203.0.113.1") for _ in range(3)]
    # The same visitor cannot escape by writing a fresh hop left of the real one.
    spoofed = send("192.0.2.99, 203.0.113.1")
    second = [send("203.0.113.2") for _ in range(3)]
    assert (first, spoofed, second) == ([302] * 3, 429, [302] * 3)
    assert send("203.0.113.2") == 429
    assert ContactMessage.objects.count() == 6


async def test_the_served_app_sees_the_real_peer_not_a_forwarded_header() -> None:
    """uvicorn rewrites the client from X-Forwarded-For sent by 127.0.0.1 unless told not
    to: that let anyone on the machine (or a local proxy) pick the contact form's address."""
    seen: list[object] = []

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        seen.append(scope.get("client"))

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": "/",
        "raw_path": b"/",
        "query_string": b"",
        "headers": [(b"host", b"a.localhost"), (b"x-forwarded-for", b"192.0.2.44")],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }
    for options in ({}, UVICORN_OPTIONS):
        config = uvicorn.Config(app, **options)
        config.load()
        await config.loaded_app(dict(scope), None, None)
    assert seen[0] == ("192.0.2.44", 0)  # uvicorn's default: the header wins
    assert seen[1] == ("127.0.0.1", 50000)  # ours: the peer; TRUSTED_PROXIES decides


def test_trusted_proxies_from_the_environment() -> None:
    env = Env.load({"SPRECHZEIT_MODE": "test", "TRUSTED_PROXIES": "10.0.0.5, 10.1.0.0/16,::1"})
    assert env.trusted_proxies == (
        ip_network("10.0.0.5/32"),
        ip_network("10.1.0.0/16"),
        ip_network("::1/128"),
    )
    assert Env.load({"SPRECHZEIT_MODE": "test"}).trusted_proxies == ()
    with pytest.raises(ImproperlyConfigured, match="TRUSTED_PROXIES"):
        Env.load({"SPRECHZEIT_MODE": "test", "TRUSTED_PROXIES": "10.0.0.300"})
