"""The whole journey, the way two people go through it: a client signs up, verifies,
tops up with the sandbox, opens a partner's profile and starts a chat; the partner, in a
second browser, accepts; both write; the meter runs; the balance ends the consultation;
both find the record in their history."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from playwright.sync_api import Browser, Page, expect

from sprechzeit.demo.seed import DEMO_PASSWORD, PARTNERS
from tests.browser.conftest import LiveServer, screenshot_path
from tests.browser.staff import totp_code
from tests.browser.test_phone_layouts import FITS

pytestmark = pytest.mark.browser

PARTNER_EMAIL = PARTNERS[0].email  # Anna Berger on Coaching-Profis
# A short, exact scenario: 1.00 € at 4.99 €/min billed per second buys 12 seconds.
SETUP = """
from sprechzeit.accounts.models import Listing
from sprechzeit.payments.models import ChannelPolicy
from sprechzeit.wallets.models import WalletSettings
Listing.objects.filter(platform__slug="coaching", slug="anna-berger").update(rate_minor=499)
ChannelPolicy.objects.filter(platform__slug="coaching", channel="sandbox").update(min_minor=100)
WalletSettings.objects.filter(platform__slug="coaching").update(welcome_credit_minor=0)
"""

CONSENTS = """
from sprechzeit.legal.models import Consent
consents = Consent.objects.filter(user__email="EMAIL", purpose="signup").order_by("document__kind")
print([(c.document.kind, c.ip) for c in consents])
"""


def _totp_code(email: str) -> str:
    return totp_code(email)


def _partner_logs_in(page: Page, server: LiveServer) -> None:
    page.goto(server.url("coaching", "/anmelden/"))
    page.get_by_label("E-Mail").fill(PARTNER_EMAIL)
    page.get_by_label("Passwort").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    page.get_by_label("Sechsstelliger Code").fill(_totp_code(PARTNER_EMAIL))
    page.get_by_role("button", name="Bestätigen").click()
    expect(page.get_by_role("button", name="Abmelden")).to_be_visible()


def _client_signs_up_and_tops_up(page: Page, server: LiveServer, email: str) -> None:
    page.goto(server.url("coaching", "/registrieren/"))
    page.get_by_label("Vorname").fill("Clara")
    page.get_by_label("E-Mail").fill(email)
    page.get_by_label("Passwort").fill("mein-geheimes-passwort-3")
    page.get_by_label("Ich akzeptiere").check()
    page.get_by_role("button", name="Konto anlegen").click()
    expect(page.get_by_text("Ihr Kundenkonto ist angelegt")).to_be_visible()
    # The consent of the sign-up is on record: the AGB and the privacy notice in force,
    # with the moment and the address it came from.
    consents = server.sprechzeit("shell", "-c", CONSENTS.replace("EMAIL", email))
    assert consents.strip().splitlines()[-1] == "[('privacy', '127.0.0.1'), ('terms', '127.0.0.1')]"
    mail = next(m for m in reversed(server.mails()) if email in m)
    link = re.search(
        r"http://coaching\.localhost:\d+/bestaetigen/[^\s]+/", mail
    )  # 8bit: the link is whole
    assert link is not None
    page.goto(link.group(0))
    expect(
        page.get_by_role("heading", name="Danke – Ihre E-Mail-Adresse ist bestätigt")
    ).to_be_visible()

    page.goto(server.url("coaching", reverse("payments:topup")))
    page.get_by_label("Betrag in Euro").fill("1,00")
    page.get_by_role("button", name="Weiter zur Zahlung").click()
    expect(page.get_by_role("heading", name="Testkasse")).to_be_visible()
    page.screenshot(path=screenshot_path("sandbox-checkout"), full_page=True)
    page.get_by_role("button", name="Zahlung erfolgreich").click()
    expect(page.get_by_test_id("payment-status")).to_contain_text("1,00\xa0€ wurden")
    # The receipt by mail: this payment's, with its number.
    payment_id = page.url.rstrip("/").rsplit("/", 1)[-1]
    receipt = [
        m
        for m in server.mails()
        if "X-Sprechzeit-Mail: topup_receipt" in m and email in m and payment_id in m
    ]
    assert len(receipt) == 1
    page.goto(server.url("coaching", reverse("payments:wallet")))
    expect(page.get_by_text("1,00\xa0€").first).to_be_visible()


def test_client_and_partner_chat_until_the_balance_ends_it(
    browser: Browser, demo_server: LiveServer
) -> None:
    demo_server.sprechzeit("shell", "-c", SETUP)
    partner = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    client = browser.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    ).new_page()

    _partner_logs_in(partner, demo_server)
    partner.goto(demo_server.url("coaching", reverse("consultations:partner_requests")))
    partner.get_by_role("button", name="Online gehen").click()
    expect(partner.locator("#presence")).to_contain_text("online")

    _client_signs_up_and_tops_up(client, demo_server, "clara@example.com")
    client.goto(demo_server.url("coaching", "/berater/anna-berger/"))
    expect(client.get_by_text("4,99\xa0€ pro Minute")).to_be_visible()
    client.screenshot(path=screenshot_path("profile-phone"), full_page=True)
    client.get_by_role("button", name="Jetzt chatten").click()
    # Before money is spent: the rate, the balance and the minutes it buys, confirmed once.
    expect(client.locator("#offer-rate")).to_have_text("4,99\xa0€ pro Minute")
    expect(client.locator("#offer-balance")).to_have_text("1,00\xa0€")
    expect(client.locator("#offer-minutes")).to_have_text("12 Sekunden")
    # § 356 BGB: the first paid consultation asks for the immediate start once.
    client.get_by_label(
        "Ich verlange ausdrücklich, dass die Beratung sofort beginnt", exact=False
    ).check()
    client.screenshot(path=screenshot_path("start-confirm-phone"), full_page=True)
    client.get_by_role("button", name="Kostenpflichtig starten").click()
    expect(client.get_by_role("heading", name="Beratung mit Anna Berger")).to_be_visible()
    # No empty warning bar; on a phone the input sits above the fold, nothing scrolls sideways.
    expect(client.locator("#meter-warning")).to_be_hidden()
    expect(client.locator("#chat-input")).to_be_in_viewport()
    assert client.evaluate(FITS)

    # The partner's screen shows the request live, visibly too (sound may be off);
    # accepting opens the room.
    expect(partner.locator("#request-alert")).to_be_visible()
    expect(partner.locator("#request-list .request-new")).to_have_count(1)
    partner.get_by_role("button", name="Annehmen").click()
    expect(partner.get_by_role("heading", name="Beratung")).to_be_visible()

    client.get_by_placeholder("Ihre Nachricht …").fill("Hallo Anna, ich habe eine Frage.")
    client.get_by_role("button", name="Senden").click()
    expect(partner.locator("#chat-log")).to_contain_text("Hallo Anna, ich habe eine Frage.")
    partner.get_by_placeholder("Ihre Nachricht …").fill("Gern, fragen Sie!")
    partner.get_by_role("button", name="Senden").click()
    expect(client.locator("#chat-log")).to_contain_text("Gern, fragen Sie!")

    # The meter runs on both sides, and the remaining time counts down from 12 s.
    expect(client.locator("#meter-elapsed")).not_to_have_text("0:00", timeout=5_000)
    client.screenshot(path=screenshot_path("consultation-client-phone"), full_page=True)
    partner.screenshot(path=screenshot_path("consultation-partner"), full_page=True)

    # 1.00 € at 4.99 €/min: the server cuts off after 12 paid seconds.
    expect(client.locator("#meter-status")).to_contain_text("beendet", timeout=30_000)
    expect(partner.locator("#meter-status")).to_contain_text("beendet", timeout=10_000)

    # The end state, without a reload: the summary (why, how long, what it cost, the
    # balance now), the controls off, no warning, no "läuft weiter", the rating rule.
    summary = client.locator("#end-summary")
    expect(summary).to_be_visible()
    expect(summary).to_contain_text("Die Beratung ist beendet")
    expect(client.locator("#summary-reason")).to_have_text("Guthaben aufgebraucht")
    expect(client.locator("#summary-duration")).to_have_text("0:12")
    expect(client.locator("#summary-amount")).to_have_text("1,00\xa0€", timeout=10_000)
    expect(client.locator("#summary-balance")).to_have_text("0,00\xa0€")
    for control in ("#chat-input", "#send-button", "#end-button"):
        expect(client.locator(control)).to_be_disabled()
        expect(partner.locator(control)).to_be_disabled()
    expect(client.locator("#meter-warning")).to_be_hidden()
    expect(client.get_by_text("Die Beratung läuft weiter")).to_be_hidden()
    expect(client.locator("#rating-form")).to_be_hidden()
    expect(client.locator("#rating-note")).to_be_visible()
    expect(client.locator("#rating-note")).to_contain_text("ab 3 Minuten bezahlter Zeit")
    # The partner's summary shows their own share, not the client's 1,00 €.
    share = demo_server.sprechzeit(
        "shell",
        "-c",
        "from sprechzeit.consultations.models import Consultation; "
        "print(Consultation.objects.filter(client__user__email='clara@example.com')"
        ".get().partner_share_minor)",
    )
    cents = int(share.strip().splitlines()[-1])
    assert 0 < cents < 100
    expect(partner.locator("#summary-amount")).to_have_text(f"0,{cents:02d}\xa0€", timeout=10_000)
    expect(partner.locator("#summary-balance")).to_have_count(0)
    client.screenshot(path=screenshot_path("consultation-ended-phone"), full_page=True)

    client.goto(demo_server.url("coaching", reverse("consultations:records")))
    row = client.get_by_role("row").filter(has_text="Anna Berger").first
    expect(row).to_contain_text("0:12")  # 12 paid seconds …
    expect(row).to_contain_text("1,00\xa0€")  # … billed exactly the balance
    # On the phone the amount column is on screen, not cut off at the right.
    expect(row.locator(".record-amount")).to_be_in_viewport()
    assert client.evaluate(FITS)
    client.screenshot(path=screenshot_path("history-phone"), full_page=True)

    partner.goto(demo_server.url("coaching", reverse("consultations:partner_records")))
    expect(partner.get_by_role("row").filter(has_text="0:12").first).to_contain_text(
        "Coaching-Profis"
    )
    partner.screenshot(path=screenshot_path("partner-records"), full_page=True)

    check = demo_server.sprechzeit("ledger", "check")
    assert "OK" in check.upper()
    partner.context.close()
    client.context.close()
