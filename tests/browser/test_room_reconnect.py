"""The room after a lost connection: the side that comes back is not billed the gap, and
both pages apply the `reconnected` frame (docs/websocket-protocol.md) at once — the meter
counts on from the server's state without the gap, and the status says why."""

from __future__ import annotations

import re
import time

import pytest
from django.urls import reverse
from playwright.sync_api import Browser, Page, expect

from sprechzeit.demo.seed import CLIENT_EMAIL, DEMO_PASSWORD, PARTNERS
from tests.browser.conftest import LiveServer
from tests.browser.test_journey import _totp_code

pytestmark = pytest.mark.browser

PARTNER = PARTNERS[2]  # Miriam Roth, on Coaching-Profis only
# Every socket the page opens is kept in window.__sockets; while window.__holdSockets is
# set, a new one goes to a route that does not exist (the room retries every 2 s), so
# the test decides how long the connection stays lost.
SOCKETS = """
(() => {
  const Original = window.WebSocket;
  window.__sockets = [];
  window.__holdSockets = false;
  window.WebSocket = function (url, protocols) {
    const socket = new Original(window.__holdSockets ? url.replace("/ws/", "/ws-held/") : url, protocols);
    window.__sockets.push(socket);
    return socket;
  };
  window.WebSocket.prototype = Original.prototype;
  window.WebSocket.OPEN = Original.OPEN;
})();
"""


def _seconds(page: Page) -> int:
    minutes, seconds = page.locator("#meter-elapsed").inner_text().split(":")
    return int(minutes) * 60 + int(seconds)


def _log_in(page: Page, server: LiveServer, email: str, *, second_factor: bool) -> None:
    page.goto(server.url("coaching", "/anmelden/"))
    page.get_by_label("E-Mail").fill(email)
    page.get_by_label("Passwort").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    if second_factor:
        page.get_by_label("Sechsstelliger Code").fill(_totp_code(email))
        page.get_by_role("button", name="Bestätigen").click()
    expect(page.get_by_role("button", name="Abmelden")).to_be_visible()


def test_both_rooms_apply_the_reconnected_state(browser: Browser, demo_server: LiveServer) -> None:
    partner = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    client_context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    client_context.add_init_script(SOCKETS)
    client = client_context.new_page()

    _log_in(partner, demo_server, PARTNER.email, second_factor=True)
    partner.goto(demo_server.url("coaching", reverse("consultations:partner_requests")))
    partner.get_by_role("button", name="Online gehen").click()
    expect(partner.locator("#presence")).to_contain_text("online")

    _log_in(client, demo_server, CLIENT_EMAIL, second_factor=False)
    client.goto(demo_server.url("coaching", reverse("payments:topup")))
    client.get_by_label("Betrag in Euro").fill("10,00")
    client.get_by_role("button", name="Weiter zur Zahlung").click()
    client.get_by_role("button", name="Zahlung erfolgreich").click()
    client.goto(demo_server.url("coaching", "/berater/miriam-roth/"))
    client.get_by_role("button", name="Jetzt chatten").click()
    waiver = client.locator('input[name="withdrawal_waiver"]')
    if waiver.count():
        waiver.check()
    client.locator("#confirm-start").click()
    partner.get_by_role("button", name="Annehmen").click()
    expect(partner.get_by_role("heading", name="Beratung")).to_be_visible()
    expect(client.locator("#meter-elapsed")).not_to_have_text("0:00", timeout=10_000)

    # The client's connection drops (a clean close: the gap starts now) and stays away
    # for about eight seconds; the partner's page keeps counting meanwhile.
    before = _seconds(partner)
    lost_at = time.monotonic()
    client.evaluate("window.__holdSockets = true; window.__sockets.forEach((s) => s.close())")
    partner.wait_for_timeout(8_000)
    client.evaluate("window.__holdSockets = false")

    status = re.compile(r"Verbindung wiederhergestellt\. Die \d+ Sekunden")
    expect(partner.locator("#meter-status")).to_have_text(status, timeout=10_000)
    expect(client.locator("#meter-status")).to_have_text(status, timeout=5_000)
    away = time.monotonic() - lost_at
    # Applied at once: the partner's meter no longer counts the gap (it would show about
    # `before + away` until the next meter frame otherwise).
    after = _seconds(partner)
    assert after <= before + away - 5, (before, after, away)
    assert abs(_seconds(client) - after) <= 2
    # And it runs on.
    expect(partner.locator("#meter-elapsed")).not_to_have_text(
        partner.locator("#meter-elapsed").inner_text(), timeout=5_000
    )
    client.get_by_role("button", name="Beratung beenden").click()
    expect(partner.locator("#meter-status")).to_contain_text("beendet", timeout=10_000)
    assert "OK" in demo_server.sprechzeit("ledger", "check").upper()
    partner.context.close()
    client_context.close()
