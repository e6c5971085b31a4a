"""Signing demo staff and partners in through the real log-in page (password, then TOTP).

django-otp refuses a TOTP code whose time step was already used by the same device
(replay protection), so a second log-in of the same person within one 30-second step
waits for the next step: `staff_login` remembers the step each e-mail used last.
"""

from __future__ import annotations

import base64
import time

from django.urls import reverse
from django_otp.oath import TOTP
from playwright.sync_api import Page, expect

from sprechzeit.demo.seed import DEMO_PASSWORD, DEMO_TOTP_SECRET
from tests.browser.conftest import LiveServer

_last_step: dict[str, int] = {}


def totp_code(email: str) -> str:
    """A demo TOTP code for `email` from a time step this person has not used yet."""
    key = base64.b32decode(DEMO_TOTP_SECRET)
    while True:
        otp = TOTP(key, step=30, digits=6)
        if otp.t() != _last_step.get(email):
            _last_step[email] = otp.t()
            return f"{otp.token():06d}"
        time.sleep(0.5)


def staff_login(
    page: Page, server: LiveServer, email: str, *, next_path: str = "/backoffice/"
) -> None:
    """Sign `email` in on the network host and land on `next_path`."""
    page.goto(server.url(None, next_path))
    expect(page).to_have_url(server.url(None, f"/anmelden/?next={next_path}"))
    page.get_by_label("E-Mail").fill(email)
    page.get_by_label("Passwort").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    page.get_by_label("Sechsstelliger Code").fill(totp_code(email))
    page.get_by_role("button", name="Bestätigen").click()
    expect(page).to_have_url(server.url(None, next_path))


def partner_online(page: Page, server: LiveServer, email: str, platform: str = "coaching") -> None:
    """Sign the demo partner `email` in on `platform` and go online on the requests page."""
    page.goto(server.url(platform, "/anmelden/"))
    page.get_by_label("E-Mail").fill(email)
    page.get_by_label("Passwort").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    page.get_by_label("Sechsstelliger Code").fill(totp_code(email))
    page.get_by_role("button", name="Bestätigen").click()
    expect(page.get_by_role("button", name="Abmelden")).to_be_visible()
    page.goto(server.url(platform, reverse("consultations:partner_requests")))
    page.get_by_role("button", name="Online gehen").click()
    expect(page.locator("#presence")).to_contain_text("online")
