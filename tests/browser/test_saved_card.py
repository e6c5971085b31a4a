"""A saved card, the way a client uses it: saved through the sandbox's page (the demo's
stand-in for the provider's hosted page), a one-click top-up from the top-up page with
its receipt, a card the bank declines, and the automatic top-up that charges the saved
card when the balance runs low mid-chat, so the chat runs on instead of ending at the
old balance; the client's monthly limit stops a second one, and the chat then ends at
the balance. The partner accepts in a second browser."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from playwright.sync_api import Browser, Page, ViewportSize, expect

from sprechzeit.demo.seed import PARTNERS
from tests.browser.conftest import LiveServer, screenshot_path
from tests.browser.staff import partner_online

pytestmark = pytest.mark.browser

PARTNER_EMAIL = PARTNERS[1].email  # Jonas Keller on Coaching-Profis (no other chat uses him)
CLIENT_EMAIL = "saskia@example.com"
# An exact scenario at 4,99 €/min billed per second (the sandbox's minimum and the
# welcome credit as the chat journey sets them: top-ups from 1,00 €, no welcome credit):
# - 5,50 € buy 66 s: the 60-second warning comes 6 s in, when 0,50 € are used and 5,00 €
#   are left, below the client's threshold of 5,50 €: 1,00 € is charged, 6,50 € buy 78 s;
# - the warning 60 s before the new end (18 s in) finds 5,00 € left again, but a second
#   1,00 € would pass the client's 1,50 € a month: nothing is charged, the chat ends at
#   78 s, billed 6,49 € (78 s at 4,99 €/min, rounded up), 0,01 € left.
SETUP = """
from sprechzeit.accounts.models import Listing
from sprechzeit.payments.models import ChannelPolicy
from sprechzeit.wallets.models import WalletSettings
Listing.objects.filter(platform__slug="coaching", slug="jonas-keller").update(rate_minor=499)
ChannelPolicy.objects.filter(platform__slug="coaching", channel="sandbox").update(min_minor=100)
WalletSettings.objects.filter(platform__slug="coaching").update(welcome_credit_minor=0)
"""
AUTOMATIC_CHARGES = """
from sprechzeit.payments.saved_models import MethodCharge
charges = MethodCharge.objects.filter(
    payment__client_account__user__email="saskia@example.com", automatic=True
)
print([(c.payment.amount_minor, c.payment.status, c.method.label) for c in charges])
"""
# The room's meter shows at least `least` paid seconds (elapsed + remaining).
PAID_SECONDS_SHOWN = """(least) => {
  const seconds = (id) => {
    const [m, s] = document.getElementById(id).textContent.split(":").map(Number);
    return m * 60 + s;
  };
  return seconds("meter-elapsed") + seconds("meter-remaining") >= least;
}"""
DESKTOP: ViewportSize = {"width": 1280, "height": 900}


def _signs_up_and_verifies(page: Page, server: LiveServer) -> None:
    page.goto(server.url("coaching", "/registrieren/"))
    page.get_by_label("Vorname").fill("Saskia")
    page.get_by_label("E-Mail").fill(CLIENT_EMAIL)
    page.get_by_label("Passwort").fill("saskias-geheimes-passwort-7")
    page.get_by_label("Ich akzeptiere").check()
    page.get_by_role("button", name="Konto anlegen").click()
    expect(page.get_by_text("Ihr Kundenkonto ist angelegt")).to_be_visible()
    mail = next(m for m in reversed(server.mails()) if CLIENT_EMAIL in m)
    link = re.search(r"http://coaching\.localhost:\d+/bestaetigen/[^\s]+/", mail)
    assert link is not None
    page.goto(link.group(0))
    expect(
        page.get_by_role("heading", name="Danke – Ihre E-Mail-Adresse ist bestätigt")
    ).to_be_visible()


def _saves_card(page: Page, server: LiveServer, button: str, label: str) -> None:
    """Through the sandbox's page, as the demo offers it; back on the list."""
    page.goto(server.url("coaching", reverse("payments:methods")))
    page.get_by_role("button", name="Weiter zum Zahlungsanbieter").click()
    expect(page.get_by_role("heading", name="Testkarte speichern")).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("TESTMODUS")
    page.get_by_role("button", name=button).click()
    expect(page.get_by_text(f"{label} ist gespeichert")).to_be_visible()
    expect(page.locator(".saved-methods li").filter(has_text=label)).to_be_visible()


def _receipts(server: LiveServer, payment_id: str) -> list[str]:
    return [
        m
        for m in server.mails()
        if "X-Sprechzeit-Mail: topup_receipt" in m and CLIENT_EMAIL in m and payment_id in m
    ]


def test_saved_card_one_click_top_up_and_automatic_top_up_mid_chat(
    browser: Browser, demo_server: LiveServer
) -> None:
    demo_server.sprechzeit("shell", "-c", SETUP)
    client = browser.new_context(viewport=DESKTOP).new_page()
    partner = browser.new_context(viewport=DESKTOP).new_page()
    _signs_up_and_verifies(client, demo_server)

    # A card saved through the sandbox's page, listed; a one-click top-up from the
    # top-up page: the balance rises, the receipt comes by mail.
    _saves_card(client, demo_server, "Testkarte •••• 4242 speichern", "TEST •••• 4242")
    client.goto(demo_server.url("coaching", reverse("payments:topup")))
    expect(client.get_by_text("Aktuelles Guthaben: 0,00\xa0€")).to_be_visible()
    client.get_by_label("Betrag für TEST •••• 4242").fill("5,50")
    client.get_by_role("button", name="Mit TEST •••• 4242 aufladen").click()
    expect(client.get_by_test_id("payment-status")).to_have_text(
        "Vielen Dank! 5,50\xa0€ wurden Ihrem Guthaben gutgeschrieben."
    )
    expect(client.get_by_text("Aktuelles Guthaben: 5,50\xa0€")).to_be_visible()
    paid = client.url.rstrip("/").rsplit("/", 1)[-1]
    assert len(_receipts(demo_server, paid)) == 1

    # A card the bank declines: a clear message, nothing charged, the balance unchanged.
    _saves_card(client, demo_server, "Testkarte •••• 0002 speichern", "TEST •••• 0002")
    mails_before = len(demo_server.mails())
    client.goto(demo_server.url("coaching", reverse("payments:topup")))
    client.get_by_label("Betrag für TEST •••• 0002").fill("5,00")
    client.get_by_role("button", name="Mit TEST •••• 0002 aufladen").click()
    status = client.get_by_test_id("payment-status")
    expect(status).to_contain_text("Die Zahlung mit TEST •••• 0002 wurde abgelehnt")
    expect(status).to_contain_text("Ihr Guthaben ist unverändert")
    expect(client.get_by_text("Aktuelles Guthaben: 5,50\xa0€")).to_be_visible()
    assert len(demo_server.mails()) == mails_before  # no receipt for a declined charge
    client.goto(demo_server.url("coaching", reverse("payments:wallet")))
    expect(client.get_by_test_id("balance-total")).to_have_text("5,50\xa0€")

    # The automatic top-up with the card that works: threshold, amount, monthly limit.
    client.goto(demo_server.url("coaching", reverse("payments:methods")))
    client.get_by_label("Zahlungsmittel", exact=True).select_option(label="TEST •••• 4242")
    client.get_by_label("Schwelle in Euro").fill("5,50")
    client.locator("#auto-amount").fill("1,00")
    client.get_by_label("Höchstens pro Monat in Euro").fill("1,50")
    client.get_by_role("button", name="Automatische Aufladung speichern").click()
    expect(client.locator("#auto-status")).to_have_text(
        "Aktiv: 1,00\xa0€ mit TEST •••• 4242, wenn das Guthaben unter 5,50\xa0€ fällt,"
        " höchstens 1,50\xa0€ im Monat."
    )
    expect(client.locator("#auto-used")).to_contain_text("aufgeladen: 0,00\xa0€")
    client.screenshot(path=screenshot_path("payment-methods"), full_page=True)
    client.locator("#auto-heading").scroll_into_view_if_needed()
    client.locator("section[aria-labelledby=auto-heading]").screenshot(
        path=screenshot_path("auto-topup-settings")
    )

    # A paid chat with Jonas, who accepts in his own browser.
    partner_online(partner, demo_server, PARTNER_EMAIL)
    client.goto(demo_server.url("coaching", "/berater/jonas-keller/"))
    client.get_by_role("button", name="Jetzt chatten").click()
    expect(client.locator("#offer-balance")).to_have_text("5,50\xa0€")
    expect(client.locator("#offer-minutes")).to_have_text("etwa 1 Minute")
    client.get_by_label(
        "Ich verlange ausdrücklich, dass die Beratung sofort beginnt", exact=False
    ).check()
    client.get_by_role("button", name="Kostenpflichtig starten").click()
    expect(client.get_by_role("heading", name="Beratung mit Jonas Keller")).to_be_visible()
    expect(partner.locator("#request-list .request-new")).to_have_count(1)
    partner.get_by_role("button", name="Annehmen").click()
    expect(partner.get_by_role("heading", name="Beratung")).to_be_visible()
    client.get_by_placeholder("Ihre Nachricht …").fill("Hallo Jonas, kurze Frage.")
    client.get_by_role("button", name="Senden").click()
    expect(partner.locator("#chat-log")).to_contain_text("Hallo Jonas, kurze Frage.")

    # The meter counts down from 66 paid seconds; at the warning 6 s in, the automatic
    # top-up charges the card and the room counts from 78 (the chat does not end at 66).
    client.wait_for_function(PAID_SECONDS_SHOWN, arg=65, timeout=15_000)
    client.wait_for_function(PAID_SECONDS_SHOWN, arg=77, timeout=20_000)
    client.screenshot(path=screenshot_path("consultation-auto-topup"), full_page=True)
    charges = demo_server.sprechzeit("shell", "-c", AUTOMATIC_CHARGES)
    assert charges.strip().splitlines()[-1] == "[(100, 'succeeded', 'TEST •••• 4242')]"
    # The next warning (60 s before the new end) stays: the monthly limit is reached.
    expect(client.locator("#meter-warning")).to_contain_text(
        "Noch 60 Sekunden Guthaben", timeout=20_000
    )
    expect(partner.locator("#meter-warning")).to_contain_text("Noch 60 Sekunden")
    expect(client.locator("#meter-status")).to_contain_text("läuft")

    # The end at the balance: 78 s, 6,49 €, without a reload.
    expect(client.locator("#meter-status")).to_contain_text("beendet", timeout=75_000)
    expect(client.locator("#summary-reason")).to_have_text("Guthaben aufgebraucht")
    expect(client.locator("#summary-duration")).to_have_text("1:18")
    expect(client.locator("#summary-amount")).to_have_text("6,49\xa0€", timeout=10_000)
    expect(client.locator("#summary-balance")).to_have_text("0,01\xa0€")
    expect(partner.locator("#meter-status")).to_contain_text("beendet", timeout=10_000)
    # One automatic top-up, the limit respected.
    charges = demo_server.sprechzeit("shell", "-c", AUTOMATIC_CHARGES)
    assert charges.strip().splitlines()[-1] == "[(100, 'succeeded', 'TEST •••• 4242')]"

    # The records: the automatic top-up in the payments, with its receipt; the chat.
    client.goto(demo_server.url("coaching", reverse("payments:wallet")))
    expect(client.get_by_test_id("balance-total")).to_have_text("0,01\xa0€")
    automatic = client.get_by_role("row").filter(has_text="automatisch aufgeladen")
    expect(automatic).to_have_count(1)
    expect(automatic).to_contain_text("mit TEST •••• 4242")
    expect(automatic).to_contain_text("1,00\xa0€")
    automatic_id = automatic.get_attribute("data-payment")
    assert automatic_id is not None
    assert len(_receipts(demo_server, automatic_id)) == 1
    declined = client.get_by_role("row").filter(has_text="mit TEST •••• 0002")
    expect(declined).to_contain_text("fehlgeschlagen")
    expect(declined.get_by_test_id("receipt-link")).to_have_count(0)
    client.goto(demo_server.url("coaching", reverse("payments:methods")))
    expect(client.locator("#auto-used")).to_contain_text(
        "aufgeladen: 1,00\xa0€ von höchstens 1,50\xa0€"
    )
    client.goto(demo_server.url("coaching", reverse("consultations:records")))
    row = client.get_by_role("row").filter(has_text="Jonas Keller").first
    expect(row).to_contain_text("1:18")
    expect(row).to_contain_text("6,49\xa0€")

    check = demo_server.sprechzeit("ledger", "check")
    assert "OK" in check.upper()
    partner.context.close()
    client.context.close()
