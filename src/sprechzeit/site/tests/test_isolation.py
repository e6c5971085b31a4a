"""A login on platform A never authenticates on platform B."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client

from sprechzeit.accounts.tests.factories import PASSWORD, client_create
from sprechzeit.legal.services import legal_documents_start
from sprechzeit.platforms.tests.factories import platform_create

pytestmark = pytest.mark.django_db


def _logged_in_name(client: Client, host: str) -> bool:
    body = client.get("/", headers={"host": host}).content.decode()
    return "Abmelden" in body


def test_login_form_logs_in_on_own_platform_only() -> None:
    a, b = platform_create(slug="a"), platform_create(slug="b")
    client_create(platform=a, email="kim@example.com")
    browser = Client()
    response = browser.post(
        "/anmelden/",
        {"email": "kim@example.com", "password": PASSWORD},
        headers={"host": "a.localhost"},
    )
    assert response.status_code == 302
    assert _logged_in_name(browser, "a.localhost")
    # The same browser on B: the account does not exist there, and A's login does not count.
    assert not _logged_in_name(browser, "b.localhost")
    response = browser.post(
        "/anmelden/",
        {"email": "kim@example.com", "password": PASSWORD},
        headers={"host": "b.localhost"},
    )
    assert response.status_code == 200
    assert "stimmen nicht" in response.content.decode()
    del b


def test_session_cookie_copied_from_a_does_not_authenticate_on_b() -> None:
    a, _b = platform_create(slug="a"), platform_create(slug="b")
    client_create(platform=a, email="kim@example.com")
    on_a = Client()
    on_a.post(
        "/anmelden/",
        {"email": "kim@example.com", "password": PASSWORD},
        headers={"host": "a.localhost"},
    )
    stolen = on_a.cookies[settings.SESSION_COOKIE_NAME].value
    assert on_a.cookies[settings.SESSION_COOKIE_NAME]["domain"] == ""  # host-only cookie

    on_b = Client()
    on_b.cookies[settings.SESSION_COOKIE_NAME] = stolen
    assert not _logged_in_name(on_b, "b.localhost")
    # …while the same cookie still works where it belongs.
    assert _logged_in_name(on_b, "a.localhost")


def test_signup_then_duplicate_signup_shows_clear_error() -> None:
    legal_documents_start(platform=platform_create(slug="a"))
    browser = Client()
    data = {
        "email": "neu@example.com",
        "password": "ein-gutes-passwort-7",
        "first_name": "Neu",
        "accept_terms": "on",
    }
    assert browser.post("/registrieren/", data, headers={"host": "a.localhost"}).status_code == 302
    again = Client().post("/registrieren/", data, headers={"host": "a.localhost"})
    assert again.status_code == 200
    assert "bereits registriert" in again.content.decode()


def test_csrf_failure_gets_branded_page() -> None:
    platform_create(slug="a", name="Plattform A")
    browser = Client(enforce_csrf_checks=True)
    response = browser.post(
        "/anmelden/", {"email": "x@example.com", "password": "y"}, headers={"host": "a.localhost"}
    )
    assert response.status_code == 403
    body = response.content.decode()
    assert "Sitzung abgelaufen" in body
    assert "Plattform A" in body
