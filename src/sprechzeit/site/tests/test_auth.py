"""Log-in with a second factor, e-mail verification, password reset, contact form."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from sprechzeit.accounts import roles
from sprechzeit.accounts.models import User
from sprechzeit.accounts.services import email_verification_token, staff_create
from sprechzeit.accounts.tests.factories import (
    PASSWORD,
    client_create,
    partner_with_listing,
    totp_device_confirmed,
    totp_now,
)
from sprechzeit.legal.services import legal_documents_start
from sprechzeit.platforms.models import ContactMessage
from sprechzeit.platforms.tests.factories import platform_create

pytestmark = pytest.mark.django_db
A = {"host": "a.localhost"}


def _is_logged_in(browser: Client, host: dict[str, str]) -> bool:
    return "Abmelden" in browser.get("/", headers=host).content.decode()


def test_partner_first_login_enrols_totp_then_needs_a_code() -> None:
    platform_create(slug="a")
    partner, _listing = partner_with_listing(platform=platform_create(), email="bea@example.com")
    browser = Client()
    response = browser.post(
        "/anmelden/", {"email": "bea@example.com", "password": PASSWORD}, headers=A
    )
    assert response["Location"] == "/anmelden/code/"
    assert not _is_logged_in(browser, A)  # password alone is not enough for a partner

    page = browser.get("/anmelden/code/", headers=A).content.decode()
    assert "<svg" in page  # QR code rendered locally
    secret = re.search(r'data-secret="([A-Z2-7]+)"', page)
    assert secret is not None
    device = TOTPDevice.objects.get(user=partner.user, confirmed=False)

    wrong = browser.post("/anmelden/code/", {"token": "000000"}, headers=A)
    assert "stimmt nicht" in wrong.content.decode()
    assert not _is_logged_in(browser, A)

    # django-otp throttles after a failure (1 s, doubling); a person simply tries again later.
    TOTPDevice.objects.filter(user=partner.user).update(
        throttling_failure_timestamp=timezone.now() - timedelta(seconds=5)
    )
    ok = browser.post("/anmelden/code/", {"token": totp_now(device)}, headers=A)
    assert ok.status_code == 302
    assert _is_logged_in(browser, A)
    device.refresh_from_db()
    assert device.confirmed


def test_staff_reach_admin_only_with_verified_second_factor() -> None:
    staff = staff_create(email="admin@example.com", password=PASSWORD, role=roles.ADMIN)
    device = totp_device_confirmed(user=staff)
    net = {"host": "127.0.0.1"}
    browser = Client()
    assert browser.get("/admin/", headers=net)["Location"].startswith("/admin/login/")
    assert browser.get("/admin/login/?next=/admin/", headers=net)["Location"].startswith(
        "/anmelden/"
    )
    response = browser.post(
        "/anmelden/?next=/admin/",
        {"email": "admin@example.com", "password": PASSWORD, "next": "/admin/"},
        headers=net,
    )
    assert response["Location"] == "/anmelden/code/"
    assert browser.get("/admin/", headers=net).status_code == 302  # still not in
    response = browser.post("/anmelden/code/", {"token": totp_now(device)}, headers=net)
    assert response["Location"] == "/admin/"
    assert browser.get("/admin/", headers=net).status_code == 200

    # A password-only session (no OTP) is refused by the admin.
    other = Client()
    other.force_login(staff, backend="sprechzeit.accounts.backends.PlatformEmailBackend")
    assert other.get("/admin/", headers=net).status_code == 302


def test_client_logs_in_without_second_factor_unless_enrolled() -> None:
    platform = platform_create(slug="a")
    account = client_create(platform=platform, email="kim@example.com")
    browser = Client()
    browser.post("/anmelden/", {"email": "kim@example.com", "password": PASSWORD}, headers=A)
    assert _is_logged_in(browser, A)
    totp_device_confirmed(user=account.user)
    second = Client()
    response = second.post(
        "/anmelden/", {"email": "kim@example.com", "password": PASSWORD}, headers=A
    )
    assert response["Location"] == "/anmelden/code/"


def test_signup_sends_verification_mail_and_link_verifies_once(
    django_capture_on_commit_callbacks: Any,
) -> None:
    legal_documents_start(platform=platform_create(slug="a"))
    browser = Client()
    data = {"email": "neu@example.com", "password": "ein-gutes-passwort-7", "accept_terms": "on"}
    with django_capture_on_commit_callbacks(execute=True):
        browser.post("/registrieren/", data, headers=A)
    assert len(mail.outbox) == 1
    link = re.search(r"http://a\.localhost(/bestaetigen/[^/\s]+/)", str(mail.outbox[0].body))
    assert link is not None
    user = User.objects.get(email="neu@example.com")
    assert user.email_verified_at is None
    assert browser.get(link.group(1), headers=A).status_code == 200
    first = User.objects.get(pk=user.pk).email_verified_at
    assert first is not None
    browser.get(link.group(1), headers=A)
    assert User.objects.get(pk=user.pk).email_verified_at == first


def test_tampered_or_foreign_platform_verification_link_is_refused() -> None:
    a = platform_create(slug="a")
    platform_create(slug="b")
    account = client_create(platform=a)
    token = email_verification_token(user=account.user)
    browser = Client()
    assert browser.get(f"/bestaetigen/{token}x/", headers=A).status_code == 400
    assert browser.get(f"/bestaetigen/{token}/", headers={"host": "b.localhost"}).status_code == 400
    account.user.refresh_from_db()
    assert account.user.email_verified_at is None


def test_password_reset_is_scoped_to_the_platform(
    django_capture_on_commit_callbacks: Any,
) -> None:
    a, b = platform_create(slug="a"), platform_create(slug="b")
    client_create(platform=a, email="kim@example.com")
    client_create(platform=b, email="kim@example.com")
    browser = Client()
    with django_capture_on_commit_callbacks(execute=True):
        response = browser.post("/passwort/vergessen/", {"email": "kim@example.com"}, headers=A)
    assert response.status_code == 302
    assert len(mail.outbox) == 1  # only platform A's account
    link = re.search(r"http://a\.localhost(/passwort/neu/[^\s]+/)", str(mail.outbox[0].body))
    assert link is not None
    form = browser.get(link.group(1), headers=A, follow=True)
    assert form.status_code == 200
    # The same link opened on platform B is not found.
    assert Client().get(link.group(1), headers={"host": "b.localhost"}).status_code == 404
    set_url = form.redirect_chain[-1][0]
    done = browser.post(
        set_url,
        {"new_password1": "ganz-neues-passwort-1", "new_password2": "ganz-neues-passwort-1"},
        headers=A,
    )
    assert done.status_code == 302
    fresh = Client()
    fresh.post(
        "/anmelden/", {"email": "kim@example.com", "password": "ganz-neues-passwort-1"}, headers=A
    )
    assert _is_logged_in(fresh, A)
    # B's account keeps its old password.
    other = Client()
    other.post(
        "/anmelden/",
        {"email": "kim@example.com", "password": PASSWORD},
        headers={"host": "b.localhost"},
    )
    assert _is_logged_in(other, {"host": "b.localhost"})


def test_unknown_address_reset_reveals_nothing() -> None:
    platform_create(slug="a")
    response = Client().post("/passwort/vergessen/", {"email": "niemand@example.com"}, headers=A)
    assert response.status_code == 302
    assert mail.outbox == []


def test_contact_form_stores_and_mails_to_platform(django_capture_on_commit_callbacks: Any) -> None:
    platform_create(slug="a", contact_email="team@a.example")
    browser = Client()
    data = {
        "email": "frage@example.com",
        "subject": "Frage",
        "message": "Wie lade ich auf?",
        "website": "",
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = browser.post("/kontakt/", data, headers=A)
    assert response["Location"] == "/kontakt/danke/"
    assert ContactMessage.objects.get().subject == "Frage"
    assert mail.outbox[0].to == ["team@a.example"]
    assert "Wie lade ich auf?" in mail.outbox[0].body
    # The sender gets a branded receipt from the platform, without the message's text.
    [receipt] = [m for m in mail.outbox if m.to == ["frage@example.com"]]
    assert receipt.from_email.endswith("<team@a.example>")
    assert receipt.subject == "Wir haben Ihre Nachricht erhalten"
    assert "Wie lade ich auf?" not in receipt.body
    assert receipt.message().get_body(("html",)) is not None


def test_contact_form_refuses_honeypot_and_floods() -> None:
    platform_create(slug="a")
    browser = Client()
    spam = {
        "email": "bot@example.com",
        "subject": "Billig",
        "message": "Kaufen!",
        "website": "http://spam.example",
    }
    assert browser.post("/kontakt/", spam, headers=A).status_code == 400
    assert ContactMessage.objects.count() == 0
    ok = {"email": "x@example.com", "subject": "Hallo", "message": "Test", "website": ""}
    statuses = [browser.post("/kontakt/", ok, headers=A).status_code for _ in range(4)]
    assert statuses == [302, 302, 302, 429]
    assert ContactMessage.objects.count() == 3


def test_contact_form_shows_field_errors() -> None:
    platform_create(slug="a")
    response = Client().post(
        "/kontakt/", {"email": "kein-email", "subject": "", "message": ""}, headers=A
    )
    assert response.status_code == 400  # refused fields: core.inputs.form_status
    assert ContactMessage.objects.count() == 0
