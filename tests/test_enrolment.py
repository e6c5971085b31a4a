"""Second factors: staff enrol only through a one-time invitation link, partners on their
first log-in; both get recovery codes, each valid once instead of a TOTP code."""

from __future__ import annotations

import base64
import io
import re
from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from sprechzeit.accounts import roles
from sprechzeit.accounts.enrolment import (
    RECOVERY_CODE_COUNT,
    recovery_code_verify,
    recovery_codes_regenerate,
    second_factor_verify,
    staff_invitation_open,
    staff_invite,
)
from sprechzeit.accounts.errors import InvitationInvalid, NotStaff
from sprechzeit.accounts.models import StaffInvitation, User
from sprechzeit.accounts.services import staff_create
from sprechzeit.accounts.tests.factories import (
    PASSWORD,
    partner_with_listing,
    totp_device_confirmed,
    totp_now,
)
from sprechzeit.core import clock
from sprechzeit.demo.seed import DEMO_PASSWORD, DEMO_TOTP_KEY_HEX, STAFF, demo_seed
from sprechzeit.platforms.tests.factories import platform_create
from sprechzeit.site.tests.csp import assert_strict_csp

pytestmark = pytest.mark.django_db
NET = {"host": "127.0.0.1"}
A = {"host": "a.localhost"}
SECRET = re.compile(r'data-secret="([A-Z2-7]+)"')
CODES = re.compile(r"<li><code>([a-z2-7]{5}-[a-z2-7]{5})</code></li>")


def _staff(email: str = "neu@example.com") -> User:
    return staff_create(email=email, password=PASSWORD, role=roles.SUPPORT)


def _code_for(page: str) -> str:
    """The current code of the authenticator whose secret `page` shows."""
    match = SECRET.search(page)
    assert match is not None, "no secret on the page"
    key = base64.b32decode(match.group(1) + "=" * (-len(match.group(1)) % 8))
    return f"{totp(key):06d}"


def _unthrottle(user: User) -> None:
    # django-otp waits 1 s (doubling) after a wrong code; a person simply tries later.
    TOTPDevice.objects.filter(user=user).update(throttling_failure_timestamp=None)
    StaticDevice.objects.filter(user=user).update(throttling_failure_timestamp=None)


def _logged_in_to_admin(browser: Client) -> bool:
    return browser.get("/admin/", headers=NET).status_code == 200


# --- staff: no enrolment by password ---------------------------------------------------


def test_staff_without_authenticator_gets_no_enrolment_from_the_password() -> None:
    staff = _staff()
    browser = Client()
    response = browser.post("/anmelden/", {"email": staff.email, "password": PASSWORD}, headers=NET)
    assert response["Location"] == "/anmelden/code/"
    page = browser.get("/anmelden/code/", headers=NET)
    assert page.status_code == 403
    assert "Einladungslink" in page.content.decode()
    assert SECRET.search(page.content.decode()) is None
    assert not TOTPDevice.objects.filter(user=staff).exists()
    assert not _logged_in_to_admin(browser)
    # The pending log-in is gone: the code page sends back to the log-in.
    assert browser.get("/anmelden/code/", headers=NET)["Location"] == "/anmelden/"


def test_an_unconfirmed_device_never_confirms_through_the_staff_login() -> None:
    staff = _staff()
    totp_device_confirmed(user=staff)
    pending = TOTPDevice.objects.create(user=staff, name="untergeschoben", confirmed=False)
    browser = Client()
    browser.post("/anmelden/", {"email": staff.email, "password": PASSWORD}, headers=NET)
    browser.post("/anmelden/code/", {"token": totp_now(pending)}, headers=NET)
    pending.refresh_from_db()
    assert not pending.confirmed
    assert not _logged_in_to_admin(browser)


# --- staff: the invitation ---------------------------------------------------------------


def test_staff_enrol_through_the_invitation_link_once() -> None:
    platform_create(slug="a")
    staff = _staff()
    old_phone = totp_device_confirmed(user=staff)  # replaced by the invitation
    out = io.StringIO()
    call_command("staff", "invite", staff.email, "--base-url", "http://127.0.0.1", stdout=out)
    link = out.getvalue().strip().splitlines()[-1]
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [staff.email]
    assert link in str(mail.outbox[0].body)
    path = link.removeprefix("http://127.0.0.1")
    assert path.startswith("/verwaltung/einladung/")
    token = path.split("/")[-2]
    assert not StaffInvitation.objects.filter(token_sha256=token).exists()  # stored hashed

    browser = Client()
    assert browser.get(path, headers=A).status_code == 404  # the network's hosts only
    first = browser.get(path, headers=NET)
    assert first.status_code == 200
    assert SECRET.search(first.content.decode()) is None  # no secret before the password
    assert_strict_csp(first, "127.0.0.1")

    wrong = browser.post(path, {"password": "falsch-falsch-falsch"}, headers=NET)
    assert "Passwort stimmt nicht" in wrong.content.decode()
    assert not TOTPDevice.objects.filter(user=staff, confirmed=False).exists()
    assert browser.post(path, {"password": PASSWORD}, headers=NET)["Location"] == path
    page = browser.get(path, headers=NET)
    assert_strict_csp(page, "127.0.0.1")  # the inline QR code (SVG) passes the CSP
    code = _code_for(page.content.decode())

    refused = browser.post(path, {"token": "000000"}, headers=NET)
    assert "stimmt nicht" in refused.content.decode()
    assert not _logged_in_to_admin(browser)
    _unthrottle(staff)
    done = browser.post(path, {"token": code}, headers=NET)
    assert done["Location"] == "/sicherheit/wiederherstellungscodes/"
    shown = browser.get(done["Location"], headers=NET).content.decode()
    assert len(CODES.findall(shown)) == RECOVERY_CODE_COUNT
    assert 'href="/admin/"' in shown
    assert _logged_in_to_admin(browser)

    # Once only: the link is spent, the old phone is gone, the new one is the only one.
    assert browser.get(path, headers=NET).status_code == 400
    assert not TOTPDevice.objects.filter(pk=old_phone.pk).exists()
    assert TOTPDevice.objects.filter(user=staff, confirmed=True).count() == 1
    # The codes are shown once: the page now only counts them.
    again = browser.get("/sicherheit/wiederherstellungscodes/", headers=NET).content.decode()
    assert CODES.findall(again) == []
    assert f"noch {RECOVERY_CODE_COUNT} unbenutzte" in again


def test_expired_replaced_unknown_and_foreign_invitations_are_refused() -> None:
    staff = _staff()
    older = staff_invite(user=staff)
    newer = staff_invite(user=staff)
    with pytest.raises(InvitationInvalid):
        staff_invitation_open(token=older)  # a newer invitation replaces it
    assert staff_invitation_open(token=newer).user == staff
    with pytest.raises(InvitationInvalid):
        staff_invitation_open(token="x" * 43)
    with clock.frozen_at(timezone.now() + timedelta(hours=73)):
        with pytest.raises(InvitationInvalid):
            staff_invitation_open(token=newer)
        assert Client().get(f"/verwaltung/einladung/{newer}/", headers=NET).status_code == 400
    # A password that is right for someone else opens nothing.
    other = _staff("andere@example.com")
    browser = Client()
    response = browser.post(f"/verwaltung/einladung/{newer}/", {"password": PASSWORD}, headers=NET)
    assert response.status_code == 302  # staff's own password (same in the fixtures) ...
    other.set_password("ein-anderes-passwort-1")
    other.save()
    fresh = staff_invite(user=other)
    wrong = browser.post(f"/verwaltung/einladung/{fresh}/", {"password": PASSWORD}, headers=NET)
    assert "Passwort stimmt nicht" in wrong.content.decode()  # ... but not the other's
    # The first invitation's half-done session does not carry over to another link.
    assert (
        SECRET.search(browser.get(f"/verwaltung/einladung/{fresh}/", headers=NET).content.decode())
        is None
    )


def test_only_active_staff_are_invited() -> None:
    partner, _listing = partner_with_listing(platform=platform_create())
    with pytest.raises(NotStaff):
        staff_invite(user=partner.user)
    with pytest.raises(CommandError, match="not an active staff login"):
        call_command("staff", "invite", partner.user.email, "--no-mail", stdout=io.StringIO())
    with pytest.raises(CommandError, match="No staff login"):
        call_command("staff", "invite", "niemand@example.com", stdout=io.StringIO())
    staff = _staff()
    token = staff_invite(user=staff)
    User.objects.filter(pk=staff.pk).update(is_active=False)
    with pytest.raises(InvitationInvalid):
        staff_invitation_open(token=token)
    assert mail.outbox == []


def test_demo_staff_keep_their_shared_authenticator() -> None:
    demo_seed()
    admin = User.objects.get(email=STAFF[0][0], platform__isnull=True)
    device = TOTPDevice.objects.get(user=admin, confirmed=True)
    assert device.key == DEMO_TOTP_KEY_HEX
    browser = Client()
    browser.post("/anmelden/", {"email": admin.email, "password": DEMO_PASSWORD}, headers=NET)
    assert (
        browser.post("/anmelden/code/", {"token": totp_now(device)}, headers=NET).status_code == 302
    )
    assert _logged_in_to_admin(browser)


# --- recovery codes ------------------------------------------------------------------


def test_partner_enrols_on_first_login_and_gets_recovery_codes_each_valid_once() -> None:
    platform_create(slug="a")
    partner, _listing = partner_with_listing(platform=platform_create(), email="bea@example.com")
    browser = Client()
    browser.post("/anmelden/", {"email": "bea@example.com", "password": PASSWORD}, headers=A)
    code = _code_for(browser.get("/anmelden/code/", headers=A).content.decode())
    enrolled = browser.post("/anmelden/code/", {"token": code}, headers=A)
    assert enrolled["Location"] == "/sicherheit/wiederherstellungscodes/"
    codes = CODES.findall(browser.get(enrolled["Location"], headers=A).content.decode())
    assert len(codes) == RECOVERY_CODE_COUNT
    assert len(set(codes)) == RECOVERY_CODE_COUNT
    browser.post("/abmelden/", headers=A)

    def log_in_with(token: str) -> bool:
        other = Client()
        other.post("/anmelden/", {"email": "bea@example.com", "password": PASSWORD}, headers=A)
        other.post("/anmelden/code/", {"token": token}, headers=A)
        return other.get("/partner/", headers=A).status_code == 200

    assert log_in_with(codes[0].upper().replace("-", " "))  # typed loosely
    assert StaticToken.objects.filter(device__user=partner.user).count() == 9
    assert not log_in_with(codes[0])  # used up
    _unthrottle(partner.user)
    assert log_in_with(codes[1])


def test_regenerated_codes_replace_the_old_ones() -> None:
    partner, _listing = partner_with_listing(platform=platform_create(slug="a"))
    device = totp_device_confirmed(user=partner.user)
    old = recovery_codes_regenerate(user=partner.user)
    browser = Client()
    # Only a session verified by a second factor reaches the page.
    assert browser.get("/sicherheit/wiederherstellungscodes/", headers=A)["Location"].startswith(
        "/anmelden/"
    )
    browser.post("/anmelden/", {"email": partner.user.email, "password": PASSWORD}, headers=A)
    browser.post("/anmelden/code/", {"token": totp_now(device)}, headers=A)
    page = browser.post("/sicherheit/wiederherstellungscodes/", headers=A)
    assert_strict_csp(page, "a.localhost")
    new = CODES.findall(page.content.decode())
    assert len(new) == RECOVERY_CODE_COUNT
    assert set(new).isdisjoint(old)
    assert recovery_code_verify(user=partner.user, code=old[0]) is None
    _unthrottle(partner.user)
    assert recovery_code_verify(user=partner.user, code=new[0]) is not None


def test_second_factor_verify_tells_codes_apart_and_refuses_garbage() -> None:
    staff = _staff()
    device = totp_device_confirmed(user=staff)
    codes = recovery_codes_regenerate(user=staff)
    assert second_factor_verify(user=staff, token=totp_now(device)) == device
    assert second_factor_verify(user=staff, token=codes[3]) is not None
    for garbage in ("", "abc", "'; DROP TABLE x; --", "ä" * 10, "1" * 100):
        assert second_factor_verify(user=staff, token=garbage) is None
    assert StaticToken.objects.filter(device__user=staff).count() == RECOVERY_CODE_COUNT - 1
