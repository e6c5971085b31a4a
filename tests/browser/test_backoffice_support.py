"""The support desk in a real browser, on the demo: a contact message answered from the
console (the branded reply in the mail outbox, the thread shown), and a goodwill credit
over the support limit that a second person (admin) approves before the client's balance
shows it. The ledger check passes after each."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from sprechzeit.demo.seed import CLIENT_EMAIL
from tests.browser.conftest import LiveServer, screenshot_path
from tests.browser.staff import staff_login

pytestmark = pytest.mark.browser

SUPPORT = "support@demo.sprechzeit.de"
ADMIN = "admin@demo.sprechzeit.de"


def _staff_login(browser: Browser, server: LiveServer, email: str) -> Page:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    staff_login(page, server, email)
    return page


def _cents(text: str) -> int:
    digits = re.sub(r"[^0-9,-]", "", text).replace(",", "")
    return int(digits)


def test_a_contact_message_is_answered_from_the_console(
    browser: Browser, demo_server: LiveServer
) -> None:
    visitor = browser.new_page()
    visitor.goto(demo_server.url("karten", "/kontakt/"))
    visitor.get_by_label("Ihre E-Mail").fill("ratsuchend@example.com")
    visitor.get_by_label("Betreff").fill("Frage zu Paketpreisen")
    visitor.get_by_label("Nachricht").fill("Gibt es Rabatt bei Paketen?")
    visitor.get_by_role("button", name="Nachricht senden").click()
    expect(visitor.get_by_role("heading", name="Danke für Ihre Nachricht")).to_be_visible()
    visitor.close()
    receipts = [m for m in demo_server.mails() if "X-Sprechzeit-Mail: contact_confirmation" in m]
    assert any("ratsuchend@example.com" in m for m in receipts)

    page = _staff_login(browser, demo_server, SUPPORT)
    page.get_by_role("link", name="Kontaktanfragen").click()
    page.get_by_role("link", name="Frage zu Paketpreisen").click()
    expect(page.get_by_text("Eingangsbestätigung an den Absender")).to_be_visible()
    page.get_by_role("button", name="Übernehmen").click()
    expect(page.locator("[data-owner]")).to_have_text(SUPPORT)
    page.locator("textarea[name=body]").fill("Ja: ab 60 Minuten gibt es 10 Prozent Bonus.")
    page.get_by_role("button", name="Antwort senden").click()
    expect(page.get_by_text("Antwort gesendet.")).to_be_visible()
    thread = page.locator(".bo-thread")
    expect(thread.locator("li")).to_have_count(3)  # message, receipt, reply
    expect(thread).to_contain_text("ab 60 Minuten gibt es 10 Prozent Bonus")
    expect(page.get_by_text("contact.reply")).to_be_visible()  # the history
    page.screenshot(path=screenshot_path("backoffice-contact-thread"), full_page=True)
    replies = [m for m in demo_server.mails() if "X-Sprechzeit-Mail: contact_reply" in m]
    assert any(
        "ratsuchend@example.com" in m and "ab 60 Minuten gibt es 10 Prozent Bonus" in m
        for m in replies
    )
    page.close()
    assert "RESULT: OK" in demo_server.sprechzeit("ledger", "check")


def test_goodwill_over_the_support_limit_needs_a_second_approver(
    browser: Browser, demo_server: LiveServer
) -> None:
    page = _staff_login(browser, demo_server, SUPPORT)
    page.get_by_role("link", name="Kunden suchen").click()
    page.get_by_label("Plattform").select_option(label="Coaching-Profis")
    page.get_by_label("E-Mail, Name, Kundennummer oder ID").fill(CLIENT_EMAIL)
    page.get_by_role("button", name="Suchen").click()
    page.locator("table.bo-table a").first.click()
    bonus_before = _cents(page.locator('[data-balance="bonus"]').inner_text())
    form = page.locator("#goodwill-form")
    form.get_by_label("Art").select_option("bonus")
    form.get_by_label("Betrag").fill("45,00")
    form.get_by_label("Begründung").fill("Browser-Test: zweimal Verbindungsabbruch")
    form.get_by_role("button", name="Gutschreiben").click()
    expect(page.get_by_text("wartet auf eine zweite Freigabe")).to_be_visible()
    assert _cents(page.locator('[data-balance="bonus"]').inner_text()) == bonus_before
    client_file = page.url
    page.close()

    page = _staff_login(browser, demo_server, ADMIN)
    page.get_by_role("link", name="Kulanzgutschriften").click()
    row = page.locator("tr", has_text="Browser-Test: zweimal Verbindungsabbruch")
    expect(row).to_contain_text("45,00")
    page.screenshot(path=screenshot_path("backoffice-goodwill-queue"), full_page=True)
    row.get_by_role("button", name="Freigeben").click()
    expect(page.get_by_text("Freigegeben und gebucht.")).to_be_visible()
    page.goto(client_file)
    assert _cents(page.locator('[data-balance="bonus"]').inner_text()) == bonus_before + 4500
    expect(page.locator("tr", has_text="Browser-Test: zweimal Verbindungsabbruch")).to_contain_text(
        "gebucht"
    )
    page.close()
    assert "RESULT: OK" in demo_server.sprechzeit("ledger", "check")
