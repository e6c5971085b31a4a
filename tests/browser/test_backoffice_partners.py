"""A partner application end to end in a real browser: applied for on Coaching-Profis'
"Berater werden" page, accepted by support in the console, the invitation followed
(password, authenticator with a code computed here, partner terms and self-billing
agreement, tax and bank data), the new listing approved by staff: it is live in the
directory."""

from __future__ import annotations

import base64
import re
import time

import pytest
from django_otp.oath import totp
from playwright.sync_api import Browser, Page, expect

from sprechzeit.demo.seed import STAFF
from tests.browser.conftest import LiveServer, screenshot_path
from tests.browser.staff import staff_login

pytestmark = pytest.mark.browser

NAME = "Selma Testbewerberin"
DISPLAY = "Selma – Klarheit im Beruf"


def _code(secret_b32: str) -> str:
    padded = secret_b32 + "=" * (-len(secret_b32) % 8)
    return f"{totp(base64.b32decode(padded)):06d}"


def _second_factor(page: Page, secret_b32: str, button: str) -> None:
    """Enter the current code of the partner's new authenticator (retried once with the
    next step's code, should the first arrive as its step ends)."""
    field = page.get_by_label("Sechsstelliger Code")
    for _attempt in range(2):
        field.fill(_code(secret_b32))
        page.get_by_role("button", name=button).click()
        page.wait_for_load_state()
        if not page.locator("p.error").count():
            return
        time.sleep(31 - time.time() % 30)
    raise AssertionError("second factor refused twice")


def test_an_application_becomes_a_live_listing(browser: Browser, demo_server: LiveServer) -> None:
    # 1. A visitor applies from the platform's footer link.
    visitor = browser.new_page(viewport={"width": 1280, "height": 900})
    visitor.goto(demo_server.url("coaching", "/"))
    visitor.get_by_role("contentinfo").get_by_role("link", name="Berater werden").click()
    expect(visitor).to_have_url(demo_server.url("coaching", "/berater-werden/"))
    first, last = NAME.split()
    visitor.get_by_label("Vorname").fill(first)
    visitor.get_by_label("Nachname").fill(last)
    visitor.get_by_label("E-Mail").fill("selma.test@example.com")
    visitor.get_by_label("Gewünschter Anzeigename").fill(DISPLAY)
    visitor.get_by_label("Karriere").check()
    visitor.get_by_label("Über mich und meine Erfahrung").fill(
        "Zehn Jahre Personalentwicklung, seit fünf Jahren systemischer Coach für Berufswechsel."
    )
    visitor.get_by_label("Textprobe").fill(
        "Eine neue Stelle ist eine Einladung, nicht eine Pflicht. Was würde Sie dort freuen?"
    )
    visitor.screenshot(path=screenshot_path("partner-apply"), full_page=True)
    visitor.get_by_role("button", name="Bewerbung senden").click()
    expect(visitor.get_by_role("heading", name="Vielen Dank für Ihre Bewerbung")).to_be_visible()
    visitor.close()

    # 2. Support accepts it in the console.
    staff = browser.new_page(viewport={"width": 1280, "height": 900})
    staff_login(staff, demo_server, STAFF[1][0], next_path="/backoffice/partner/bewerbungen/")
    staff.screenshot(path=screenshot_path("backoffice-partner-applications"), full_page=True)
    staff.get_by_role("link", name=NAME).click()
    expect(staff.get_by_text("Eine neue Stelle ist eine Einladung")).to_be_visible()
    staff.get_by_label("Preis pro Minute (€)").fill("2,49")
    staff.get_by_role("button", name="Annehmen und einladen").click()
    expect(staff.get_by_text("die Einladung ist verschickt")).to_be_visible()

    # 3. The applicant follows the invitation.
    invitation = next(
        m
        for m in reversed(demo_server.mails())
        if "selma.test@example.com" in m and "/berater-werden/einladung/" in m
    )
    found = re.search(r"/berater-werden/einladung/[A-Za-z0-9_\-]+/", invitation)
    assert found is not None
    partner = browser.new_page(viewport={"width": 1280, "height": 900})
    partner.goto(demo_server.url("coaching", found.group(0)))
    secret = partner.locator("code.otp-secret").get_attribute("data-secret")
    assert secret
    partner.get_by_label("Neues Passwort").fill("selma-sicheres-passwort-2026")
    partner.get_by_label("Passwort wiederholen").fill("selma-sicheres-passwort-2026")
    _second_factor(partner, secret, "Zugang einrichten")
    expect(partner.get_by_test_id("recovery-codes").locator("li")).to_have_count(10)
    partner.get_by_role("link", name="Weiter").click()
    expect(partner).to_have_url(demo_server.url("coaching", "/partner/einrichtung/"))
    expect(
        partner.get_by_role("heading", name="Vereinbarung über das Gutschriftsverfahren")
    ).to_be_visible()
    partner.get_by_label("Ich stimme den Beraterbedingungen zu.").check()
    partner.get_by_label("Ich stimme dem Gutschriftsverfahren zu").check()
    partner.get_by_role("button", name="Zustimmen und weiter").click()
    partner.get_by_label("Name / Firma").fill(NAME)
    partner.get_by_label("Straße", exact=True).fill("Lindenallee")
    partner.get_by_label("Hausnummer").fill("7")
    partner.get_by_label("PLZ").fill("10115")
    partner.get_by_label("Ort", exact=True).fill("Berlin")
    partner.get_by_label("Umsatzsteuerstatus").select_option("small_business")
    partner.get_by_label("Steuernummer").fill("1123456789")
    partner.get_by_label("IBAN").fill("DE02 1001 0010 0006 8201 01")
    partner.get_by_label("Kontoinhaber").fill(NAME)
    partner.get_by_role("button", name="Speichern und abschließen").click()
    expect(partner.get_by_text("Ihr Konto ist eingerichtet")).to_be_visible()
    partner.close()

    # Not live before the review.
    directory = browser.new_page()
    directory.goto(demo_server.url("coaching", "/berater/"))
    expect(directory.get_by_text(DISPLAY)).to_have_count(0)

    # 4. Staff approve the new listing; it is live.
    staff.goto(demo_server.url(None, "/backoffice/partner/profile/"))
    staff.get_by_role("link", name=DISPLAY).click()
    staff.screenshot(path=screenshot_path("backoffice-listing-review"), full_page=True)
    staff.get_by_role("button", name="Freigeben").click()
    expect(staff.get_by_text("zeigt jetzt diese Fassung")).to_be_visible()
    staff.close()
    directory.goto(demo_server.url("coaching", "/berater/"))
    expect(directory.get_by_text(DISPLAY).first).to_be_visible()
    directory.close()
