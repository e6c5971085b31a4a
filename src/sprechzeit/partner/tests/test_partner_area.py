"""The partner area as a partner meets it: a log-in from the site lands there, every
sub-page keeps the tabs and the log-out, "Online gehen" asks for the request sound and a
request also shows visibly."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from sprechzeit.accounts.tests.factories import (
    PASSWORD,
    login_verified,
    partner_with_listing,
    totp_device_confirmed,
    totp_now,
)
from sprechzeit.platforms.tests.factories import platform_create

pytestmark = pytest.mark.django_db
A = {"host": "a.localhost"}

TABS = {
    "/partner/": "Übersicht",
    "/berater/abrechnung/": "Gespräche und Einzelnachweis",
    "/partner/gutschriften/": "Gutschriften",
    "/partner/auszahlungen/": "Auszahlungen",
    "/partner/steuerdaten/": "Steuer- und Bankdaten",
    "/sicherheit/wiederherstellungscodes/": "Wiederherstellungscodes",
    "/berater/anfragen/": "Übersicht",
}


def test_log_in_from_the_site_lands_in_the_partner_area() -> None:
    platform_create(slug="a")
    partner, _listing = partner_with_listing(platform=platform_create(), email="eva@example.com")
    device = totp_device_confirmed(user=partner.user)
    browser = Client()
    form = browser.get("/anmelden/", headers=A).content.decode()
    assert 'name="next" value=""' in form  # no made-up destination in the form
    response = browser.post(
        "/anmelden/", {"email": "eva@example.com", "password": PASSWORD, "next": ""}, headers=A
    )
    assert response["Location"] == "/anmelden/code/"
    response = browser.post("/anmelden/code/", {"token": totp_now(device)}, headers=A)
    assert response["Location"] == "/partner/"
    assert TOTPDevice.objects.filter(user=partner.user).count() == 1
    # An explicit destination still wins.
    other = Client()
    other.post(
        "/anmelden/",
        {"email": "eva@example.com", "password": PASSWORD, "next": "/partner/gutschriften/"},
        headers=A,
    )
    TOTPDevice.objects.filter(user=partner.user).update(throttling_failure_count=0)
    device.refresh_from_db()
    device.last_t = -1
    device.save()
    response = other.post("/anmelden/code/", {"token": totp_now(device)}, headers=A)
    assert response["Location"] == "/partner/gutschriften/"


def test_every_partner_page_keeps_tabs_and_log_out() -> None:
    platform = platform_create(slug="a")
    partner, listing = partner_with_listing(platform=platform)
    browser = Client()
    login_verified(browser, partner.user)
    pages = {**TABS, f"/partner/profile/{listing.pk}/": "Übersicht"}
    for path, current in pages.items():
        page = browser.get(path, headers=A)
        assert page.status_code == 200, path
        html = page.content.decode()
        nav = re.search(r'<nav class="subnav".*?</nav>', html, re.S)
        assert nav is not None, path
        for label in set(TABS.values()):
            assert f">{label}</a>" in nav.group(0), (path, label)
        assert re.search(rf'aria-current="page">{current}</a>', nav.group(0)), path
        assert 'action="/abmelden/"' in html, path
        assert ">Abmelden</button>" in html, path


def test_going_online_asks_for_sound_and_requests_blink() -> None:
    platform = platform_create(slug="a")
    partner, _listing = partner_with_listing(platform=platform)
    browser = Client()
    login_verified(browser, partner.user)
    offline = browser.get("/partner/", headers=A).content.decode()
    assert re.search(r"<button[^>]*data-go-online[^>]*>Online gehen</button>", offline)
    assert 'id="request-alert"' in offline
    assert 'id="sound-enable"' not in offline  # offline: no sound to switch on
    browser.post("/partner/erreichbarkeit/", {"status": "online"}, headers=A)
    online = browser.get("/partner/", headers=A).content.decode()
    assert re.search(r'<button type="button" id="sound-enable"[^>]*hidden>', online)
    requests = browser.get("/berater/anfragen/", headers=A).content.decode()
    assert re.search(r"<button[^>]*data-go-online[^>]*>Online gehen</button>", requests)
    assert 'id="request-alert"' in requests
