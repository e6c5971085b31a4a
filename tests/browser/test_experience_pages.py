"""The client's new pages on a phone, as the demo client: saving the sandbox's TEST card,
the automatic top-up, a one-click top-up; a favourite and the favourites list; the
account page's § 356 BGB confirmation for phone consultations. Screenshots for docs."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect

from sprechzeit.demo.seed import CLIENT_EMAIL, DEMO_PASSWORD
from tests.browser.conftest import LiveServer, screenshot_path
from tests.browser.test_phone_layouts import PHONE, assert_fits

pytestmark = pytest.mark.browser


def test_saved_method_auto_topup_favourites_and_waiver_on_a_phone(
    browser: Browser, demo_server: LiveServer
) -> None:
    page = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True).new_page()
    page.goto(demo_server.url("karten", "/anmelden/"))
    page.get_by_label("E-Mail").fill(CLIENT_EMAIL)
    page.get_by_label("Passwort").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    expect(page.get_by_role("button", name="Abmelden")).to_be_visible()

    page.goto(demo_server.url("karten", "/guthaben/"))
    page.get_by_role("link", name="Zahlungsmittel und automatisch aufladen").click()
    expect(page.get_by_role("heading", name="Gespeicherte Zahlungsmittel")).to_be_visible()
    page.get_by_role("button", name="Weiter zum Zahlungsanbieter").click()
    # The sandbox's page, the demo's stand-in for the provider's: pick the test card.
    page.get_by_role("button", name="Testkarte •••• 4242 speichern").click()
    expect(page.get_by_text("TEST •••• 4242 ist gespeichert")).to_be_visible()
    page.get_by_label("Schwelle in Euro").fill("5,00")
    page.get_by_label("Betrag in Euro", exact=True).last.fill("20,00")
    page.get_by_label("Höchstens pro Monat in Euro").fill("60,00")
    page.get_by_role("button", name="Automatische Aufladung speichern").click()
    expect(page.locator("#auto-status")).to_contain_text("höchstens 60,00\xa0€ im Monat")
    assert_fits(page)
    page.screenshot(path=screenshot_path("payment-methods-phone"), full_page=True)
    page.get_by_role("button", name="Jetzt aufladen").click()
    expect(page.get_by_text("20,00\xa0€").first).to_be_visible()

    page.goto(demo_server.url("karten", "/berater/luna-stern/"))
    page.locator("#favourite-button").click()
    expect(page.locator("#favourite-button")).to_contain_text("In Ihren Favoriten")
    page.goto(demo_server.url("karten", "/favoriten/"))
    expect(page.get_by_role("link", name="Luna Stern")).to_be_visible()
    assert_fits(page)
    page.screenshot(path=screenshot_path("favourites-phone"), full_page=True)

    page.goto(demo_server.url("karten", "/konto/"))
    page.get_by_label(
        "Ich verlange ausdrücklich, dass die Beratung sofort beginnt", exact=False
    ).check()
    page.get_by_role("button", name="Bestätigung speichern").click()
    expect(page.get_by_text("Ihre Bestätigung ist gespeichert")).to_be_visible()
    expect(page.locator(".waiver-given")).to_be_visible()
    assert_fits(page)
    page.screenshot(path=screenshot_path("account-phone"), full_page=True)
    page.context.close()
