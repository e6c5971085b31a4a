"""Where money is, on a phone (390×844): nothing scrolls sideways, and what matters is on
screen: the top-up form, the payments and refunds, the account's facts, the start page's
terms. (The chat input above the fold and the records' amount column: test_journey.)"""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, ViewportSize, expect

from sprechzeit.demo.seed import CLIENT_EMAIL, DEMO_PASSWORD
from tests.browser.conftest import LiveServer, screenshot_path

pytestmark = pytest.mark.browser

PHONE: ViewportSize = {"width": 390, "height": 844}
# On a phone a too-wide page widens the layout viewport (innerWidth grows past the
# screen), so the check compares with the screen's width as well.
FITS = (
    "document.documentElement.scrollWidth <= window.innerWidth"
    " && window.innerWidth <= window.screen.width"
)


def assert_fits(page: Page) -> None:
    widths = page.evaluate(
        "[document.documentElement.scrollWidth, window.innerWidth, window.screen.width]"
    )
    assert page.evaluate(FITS), (page.url, widths)


def test_money_pages_fit_a_phone(browser: Browser, demo_server: LiveServer) -> None:
    page = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True).new_page()
    page.goto(demo_server.url("coaching", "/anmelden/"))
    page.get_by_label("E-Mail").fill(CLIENT_EMAIL)
    page.get_by_label("Passwort").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    expect(page.get_by_role("button", name="Abmelden")).to_be_visible()

    page.goto(demo_server.url("coaching", "/guthaben/aufladen/"))
    assert_fits(page)
    expect(page.get_by_label("Betrag in Euro")).to_be_visible()
    expect(page.get_by_role("button", name="Weiter zur Zahlung")).to_be_visible()
    page.screenshot(path=screenshot_path("topup-phone"), full_page=True)

    page.goto(demo_server.url("coaching", "/guthaben/"))
    assert_fits(page)
    expect(page.get_by_test_id("balance-total")).to_be_in_viewport()
    expect(page.get_by_role("heading", name="Erstattung")).to_be_visible()
    page.screenshot(path=screenshot_path("wallet-phone"), full_page=True)

    for path in (
        "/konto/",
        "/konto/rechnungsdaten/",
        "/beratungen/",
        "/berater/",
        "/berater/anna-berger/",
    ):
        page.goto(demo_server.url("coaching", path))
        assert_fits(page)

    page.goto(demo_server.url("coaching", "/beratung/starten/anna-berger/"))
    assert_fits(page)
    expect(page.locator("#offer-balance")).to_be_in_viewport()
    expect(page.locator("#offer-minutes")).to_be_in_viewport()
    page.screenshot(path=screenshot_path("start-confirm-no-balance-phone"), full_page=True)
    page.context.close()
