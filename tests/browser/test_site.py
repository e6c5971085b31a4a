"""A visitor and a new client on the demo platforms, in a real browser."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, ViewportSize, expect

from tests.browser.conftest import LiveServer, screenshot_path

pytestmark = pytest.mark.browser

PHONE: ViewportSize = {"width": 390, "height": 844}


def test_network_overview_links_to_each_platform(browser: Browser, demo_server: LiveServer) -> None:
    page = browser.new_page()
    page.goto(demo_server.url())
    expect(page.get_by_role("heading", level=1)).to_have_text("Sprechzeit – das Netzwerk")
    page.get_by_role("link", name="Coaching-Profis").click()
    expect(page).to_have_url(demo_server.url("coaching"))
    page.screenshot(path=screenshot_path("network"), full_page=True)
    page.close()


def test_landing_page_is_branded_and_german(browser: Browser, demo_server: LiveServer) -> None:
    page = browser.new_page(locale="en-US")  # an English browser still gets German first
    page.goto(demo_server.url("coaching"))
    expect(page.locator("html")).to_have_attribute("lang", "de")
    expect(page.get_by_role("heading", name="Unsere Berater")).to_be_visible()
    # The partner list (the "online now" row above may show the same partner again).
    expect(page.locator("#berater").get_by_role("link", name="Anna Berger")).to_be_visible()
    brand = page.evaluate(
        "getComputedStyle(document.querySelector('.site-header')).backgroundColor"
    )
    assert brand == "rgb(31, 78, 121)"  # Coaching-Profis' #1f4e79
    page.screenshot(path=screenshot_path("coaching-home"), full_page=True)

    page.goto(demo_server.url("karten"))
    expect(page.locator("#berater").get_by_role("link", name="Luna Stern")).to_be_visible()
    assert (
        page.evaluate("getComputedStyle(document.querySelector('.site-header')).backgroundColor")
        == "rgb(91, 42, 134)"
    )
    page.screenshot(path=screenshot_path("karten-home"), full_page=True)
    page.close()


def test_language_switch_is_remembered(browser: Browser, demo_server: LiveServer) -> None:
    context = browser.new_context()
    page = context.new_page()
    page.goto(demo_server.url("coaching"))
    page.get_by_label("Sprache").select_option("en")
    page.get_by_role("button", name="Wechseln").click()
    expect(page.get_by_role("heading", name="Our advisors")).to_be_visible()
    # Miriam Roth's price is left alone by the other browser tests (the journey changes Anna's).
    page.locator("#berater").get_by_role("link", name="Miriam Roth").click()
    expect(page.get_by_text(re.compile(r"€2\.29 per minute"))).to_be_visible()
    page.goto(demo_server.url("coaching", "/impressum/"))
    expect(page.get_by_role("heading", name="Legal notice")).to_be_visible()
    context.close()


def test_signup_on_a_phone(browser: Browser, demo_server: LiveServer) -> None:
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.goto(demo_server.url("karten"))
    page.get_by_role("link", name="Registrieren", exact=True).click()
    page.get_by_label("Vorname").fill("Paula")
    page.get_by_label("E-Mail").fill("paula@example.com")
    page.get_by_label("Passwort").fill("ein-sicheres-passwort-9")
    page.get_by_label("Ich akzeptiere").check()
    page.screenshot(path=screenshot_path("signup-phone"), full_page=True)
    page.get_by_role("button", name="Konto anlegen").click()
    expect(page.get_by_text("Ihr Kundenkonto ist angelegt")).to_be_visible()
    # The verification mail arrives (the demo writes mails to files) and its link works.
    mail = next(m for m in reversed(demo_server.mails()) if "paula@example.com" in m)
    link = re.search(
        r"http://karten\.localhost:\d+/bestaetigen/[^\s]+/", mail
    )  # 8bit: the link is whole
    assert link is not None
    page.goto(link.group(0))
    expect(
        page.get_by_role("heading", name="Danke – Ihre E-Mail-Adresse ist bestätigt")
    ).to_be_visible()
    # Nothing overflows the phone's width.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    # Signing up twice with the same e-mail explains what to do.
    page.get_by_role("button", name="Abmelden").click()
    page.goto(demo_server.url("karten", "/registrieren/"))
    page.get_by_label("E-Mail").fill("paula@example.com")
    page.get_by_label("Passwort").fill("ein-sicheres-passwort-9")
    page.get_by_label("Ich akzeptiere").check()
    page.get_by_role("button", name="Konto anlegen").click()
    expect(page.get_by_text("bereits registriert")).to_be_visible()
    context.close()


def test_unknown_host_is_a_friendly_page(browser: Browser, demo_server: LiveServer) -> None:
    page = browser.new_page()
    response = page.goto(demo_server.url("gibtsnicht"))
    assert response is not None
    assert response.status == 404
    expect(page.get_by_role("heading", level=1)).to_contain_text("keine Plattform")
    page.close()
