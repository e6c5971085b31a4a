"""The partner's working day in the portal, and the contact form, in a real browser."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, expect

from sprechzeit.demo.seed import DEMO_PASSWORD, PARTNERS
from tests.browser.conftest import LiveServer, screenshot_path
from tests.browser.staff import totp_code

pytestmark = pytest.mark.browser


def test_partner_logs_in_with_totp_goes_online_edits_listing_sees_earnings(
    browser: Browser, demo_server: LiveServer
) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    page.goto(demo_server.url("karten", "/anmelden/"))
    page.get_by_label("E-Mail").fill(PARTNERS[3].email)  # Luna Stern
    page.get_by_label("Passwort").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    expect(page.get_by_role("heading", name="Zwei-Faktor-Anmeldung")).to_be_visible()
    page.get_by_label("Sechsstelliger Code").fill("000000")
    page.get_by_role("button", name="Bestätigen").click()
    expect(page.get_by_text("Dieser Code stimmt nicht")).to_be_visible()
    page.wait_for_timeout(2_100)  # django-otp's throttle after a wrong code
    page.get_by_label("Sechsstelliger Code").fill(totp_code(PARTNERS[3].email))
    page.get_by_role("button", name="Bestätigen").click()
    # The log-in from the site lands in the partner area, not on a home page.
    expect(page.get_by_role("heading", name="Hallo Luna")).to_be_visible()
    assert page.url.endswith("/partner/")

    page.get_by_role("button", name="Online gehen").click()
    expect(page.get_by_text("Sie sind jetzt online")).to_be_visible()
    expect(page.get_by_role("button", name="Offline gehen")).to_be_visible()
    # Earnings of the demo's weeks of history: a table per platform and a local SVG chart.
    expect(page.get_by_role("heading", name="Einnahmen")).to_be_visible()
    # The chart has labelled axes: amounts ("… €") left, minutes right, days below.
    chart = page.locator("figure.chart").first
    expect(chart.locator(".share-label").last).to_have_text(
        re.compile(r"^\d+(\.\d{3})*,\d\d\xa0€$")
    )
    expect(chart.locator(".minute-label")).to_have_count(3)
    expect(chart.locator(".day-label").first).to_have_text("1.")
    expect(chart.locator(".chart-total")).to_contain_text("€")
    expect(page.get_by_text(re.compile(r"\d\.\d\d EUR"))).to_have_count(0)
    page.screenshot(path=screenshot_path("partner-dashboard"), full_page=True)

    page.get_by_role("link", name="bearbeiten").first.click()
    page.get_by_label("Kurzvorstellung").fill("Lenormand, Liebe und klare Antworten")
    page.get_by_label("Preis pro Minute (€)").fill("9,99")
    page.get_by_role("button", name="Speichern").click()
    expect(page.get_by_role("alert")).to_contain_text("zwischen 0,99 und 4,99")
    page.get_by_label("Preis pro Minute (€)").fill("2,79")
    page.get_by_role("button", name="Vorschau").click()
    expect(page.get_by_text("Noch nicht gespeichert")).to_be_visible()
    page.get_by_role("button", name="Speichern").click()
    expect(page.get_by_text("Ihr Profil ist gespeichert")).to_be_visible()
    page.screenshot(path=screenshot_path("partner-listing"), full_page=True)

    # The public profile shows the new text and price, and the partner as online.
    page.goto(demo_server.url("karten", "/berater/luna-stern/"))
    expect(page.get_by_text("Lenormand, Liebe und klare Antworten")).to_be_visible()
    expect(page.get_by_text("2,79\xa0€ pro Minute")).to_be_visible()
    expect(page.locator(".status-online")).to_be_visible()

    page.goto(demo_server.url("karten", "/partner/"))
    tabs = page.get_by_role("navigation", name="Berater-Bereich")
    tabs.get_by_role("link", name="Gutschriften").click()
    expect(page.get_by_text("GS-").first).to_be_visible()
    expect(page.get_by_text(re.compile(r"\d\.\d\d EUR"))).to_have_count(0)
    page.screenshot(path=screenshot_path("partner-statements"), full_page=True)
    # Every sub-page keeps the tabs (and the log-out).
    for name in ("Auszahlungen", "Steuer- und Bankdaten", "Gespräche und Einzelnachweis"):
        page.get_by_role("navigation", name="Berater-Bereich").get_by_role(
            "link", name=name
        ).click()
        current = page.get_by_role("navigation", name="Berater-Bereich").locator(
            "[aria-current=page]"
        )
        expect(current).to_have_text(name)
        expect(page.get_by_role("button", name="Abmelden")).to_be_visible()

    # The tax and bank data: a new IBAN is saved only with a fresh authenticator code
    # (a code of a time step this person has not used yet).
    page.get_by_role("navigation", name="Berater-Bereich").get_by_role(
        "link", name="Steuer- und Bankdaten"
    ).click()
    page.get_by_label(re.compile(r"^IBAN")).fill("DE02 1203 0000 0000 2020 51")
    page.get_by_role("button", name="Speichern").click()
    expect(page.get_by_text("bitte den Code aus Ihrer Authenticator-App eingeben")).to_be_visible()
    expect(page.get_by_text("Gespeichert.")).to_have_count(0)
    page.get_by_label(re.compile(r"^IBAN")).fill("DE02 1203 0000 0000 2020 51")
    page.get_by_label("Code aus der Authenticator-App").fill(totp_code(PARTNERS[3].email))
    page.get_by_role("button", name="Speichern").click()
    expect(page.get_by_text("Gespeichert.")).to_be_visible()
    page.get_by_role("navigation", name="Berater-Bereich").get_by_role(
        "link", name="Steuer- und Bankdaten"
    ).click()
    expect(page.get_by_label(re.compile(r"^IBAN"))).to_have_value(re.compile(r"^DE02\s?1203"))
    assert any(
        "X-Sprechzeit-Mail: iban_changed" in m and PARTNERS[3].email in m
        for m in demo_server.mails()
    )
    page.get_by_role("button", name="Abmelden").click()
    expect(page.get_by_role("link", name="Anmelden")).to_be_visible()
    page.close()


def test_contact_form_sends_and_refuses_spam(browser: Browser, demo_server: LiveServer) -> None:
    page = browser.new_page()
    page.goto(demo_server.url("coaching", "/"))
    page.get_by_role("link", name="Kontakt").click()
    page.get_by_label("Ihre E-Mail").fill("frage@example.com")
    page.get_by_label("Betreff").fill("Frage zur Abrechnung")
    page.get_by_label("Nachricht").fill("Wird wirklich sekundengenau abgerechnet?")
    page.screenshot(path=screenshot_path("contact"), full_page=True)
    page.get_by_role("button", name="Nachricht senden").click()
    expect(page.get_by_role("heading", name="Danke für Ihre Nachricht")).to_be_visible()
    assert any("Frage zur Abrechnung" in mail for mail in demo_server.mails())

    # A bot fills the hidden honeypot field: refused, nothing sent.
    sent_before = len(demo_server.mails())
    page.goto(demo_server.url("coaching", "/kontakt/"))
    page.get_by_label("Ihre E-Mail").fill("bot@example.com")
    page.get_by_label("Betreff").fill("Billige Uhren")
    page.get_by_label("Nachricht").fill("Kaufen!")
    page.evaluate("document.querySelector('input[name=website]').value = 'http://spam.example'")
    page.get_by_role("button", name="Nachricht senden").click()
    expect(page.get_by_text("konnte nicht angenommen werden")).to_be_visible()
    assert len(demo_server.mails()) == sent_before
    page.close()
