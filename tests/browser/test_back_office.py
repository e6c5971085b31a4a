"""Staff in the back office under the strict Content-Security-Policy, in a real browser:
the admin's pages and the recovery codes work (the suite fails on any CSP violation),
and the back office does not exist on a platform's host."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect

from sprechzeit.demo.seed import STAFF
from tests.browser.conftest import LiveServer
from tests.browser.staff import staff_login

pytestmark = pytest.mark.browser


def test_staff_use_the_admin_and_renew_recovery_codes(
    browser: Browser, demo_server: LiveServer
) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    staff_login(page, demo_server, STAFF[0][0], next_path="/admin/")
    expect(page.get_by_role("heading", name="Verwaltung")).to_be_visible()

    # A changelist (the admin's filters and actions are scripts) and a change form.
    page.goto(demo_server.url(None, "/admin/accounts/user/"))
    page.get_by_role("link", name=STAFF[1][0]).click()
    expect(page.get_by_role("button", name="Sichern", exact=True)).to_be_visible()

    page.goto(demo_server.url(None, "/sicherheit/wiederherstellungscodes/"))
    page.get_by_role("button", name="Neue Codes erzeugen").click()
    expect(page.get_by_test_id("recovery-codes").locator("li")).to_have_count(10)

    response = page.goto(demo_server.url("coaching", "/admin/"))
    assert response is not None
    assert response.status == 404
    page.close()
