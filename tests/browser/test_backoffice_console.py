"""The staff console in a real browser, as each role: the log-in with the second factor,
the menu each role gets, the dashboard (money only for the roles that may see it), the
audit trail and its export for the admin, and no console on a platform's host."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, expect

from sprechzeit.demo.seed import STAFF
from tests.browser.conftest import LiveServer, screenshot_path
from tests.browser.staff import staff_login

pytestmark = pytest.mark.browser

EMAIL = {role: email for email, role in STAFF}


@pytest.mark.parametrize("role", ["support", "risk", "accounting", "admin"])
def test_each_role_gets_its_console(browser: Browser, demo_server: LiveServer, role: str) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    staff_login(page, demo_server, EMAIL[role])
    expect(page.get_by_role("heading", name="Übersicht", exact=True)).to_be_visible()
    expect(page.get_by_text("Laufende Beratungen")).to_be_visible()
    money = page.locator('[data-figure="topups"]')
    if role == "support":
        expect(money).to_have_count(0)
    else:
        expect(money).to_have_text(re.compile(r"^\d[\d.]*,\d\d\u00a0€$"))
        expect(page.locator("svg.bo-chart rect").first).to_be_attached()
    audit_link = page.get_by_role("link", name="Protokoll", exact=True)
    expect(audit_link).to_have_count(1 if role == "admin" else 0)
    if role == "admin":
        page.screenshot(path=screenshot_path("backoffice-dashboard"), full_page=True)
        audit_link.click()
        expect(
            page.get_by_role("heading", name="Protokoll der Mitarbeiteraktionen")
        ).to_be_visible()
        with page.expect_download() as download:
            page.get_by_role("link", name="Als CSV exportieren").click()
        assert download.value.suggested_filename == "protokoll.csv"
        page.get_by_label("Sprache").select_option("en")
        page.get_by_role("button", name="Wechseln").click()
        expect(page.get_by_role("heading", name="Audit trail of staff actions")).to_be_visible()
    response = page.goto(demo_server.url("coaching", "/backoffice/"))
    assert response is not None
    assert response.status in (403, 404)
    page.close()
