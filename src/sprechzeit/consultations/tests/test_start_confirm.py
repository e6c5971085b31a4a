"""Before a paid chat starts the client sees the rate, the balance and the minutes it
buys, and confirms once per partner per session."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.test import Client

from sprechzeit.consultations.models import Consultation
from sprechzeit.consultations.services import consultation_cancel
from sprechzeit.consultations.tests.factories import scene
from sprechzeit.ledger.tests.helpers import assert_ledger_sound
from sprechzeit.legal.services import legal_documents_start

pytestmark = pytest.mark.django_db


def _text(html: str, element_id: str) -> str:
    match = re.search(rf'id="{element_id}"[^>]*>(.*?)</', html, re.S)
    assert match is not None, element_id
    return re.sub(r"[ \t\n]+", " ", match.group(1)).strip()


def test_confirm_once_per_partner_then_straight_in() -> None:
    s = scene(balance_minor=1000, rate_minor=200)
    legal_documents_start(platform=s.platform)
    browser = Client(HTTP_HOST=f"{s.platform.slug}.localhost")
    browser.force_login(s.client.user)
    start = f"/beratung/starten/{s.listing.slug}/"

    # "Jetzt chatten" on the profile posts here: the first time, the terms, no consultation.
    page = browser.post(start)
    assert page.status_code == 200
    html = page.content.decode()
    assert _text(html, "offer-rate") == "2,00\xa0€ pro Minute"
    assert _text(html, "offer-balance") == "10,00\xa0€"
    assert _text(html, "offer-minutes") == "etwa 5 Minuten"
    assert 'id="confirm-start"' in html
    assert 'id="welcome-credit"' not in html
    assert 'name="withdrawal_waiver"' in html  # § 356 BGB, before the first consultation
    assert not Consultation.objects.exists()

    started = browser.post(start, {"bestaetigt": "1", "withdrawal_waiver": "on"})
    consultation = Consultation.objects.get(client=s.client)
    assert started["Location"] == f"/beratung/{consultation.pk}/"
    consultation_cancel(consultation=consultation, client=s.client)

    # Confirmed for this partner in this session: the next start goes straight in.
    again = browser.post(start)
    assert again.status_code == 302
    assert Consultation.objects.filter(client=s.client).count() == 2
    Consultation.objects.filter(status="requested").update(status="cancelled")

    # Another partner asks again; a new session asks again.
    other = scene(platform=s.platform, balance_minor=0, rate_minor=300)
    assert browser.post(f"/beratung/starten/{other.listing.slug}/").status_code == 200
    fresh = Client(HTTP_HOST=f"{s.platform.slug}.localhost")
    fresh.force_login(s.client.user)
    assert fresh.post(start).status_code == 200
    assert Consultation.objects.filter(client=s.client).count() == 2
    assert_ledger_sound()


def test_without_enough_balance_the_page_offers_a_top_up_not_a_start() -> None:
    s = scene(balance_minor=100, rate_minor=200, increment_first_seconds=60)
    browser = Client(HTTP_HOST=f"{s.platform.slug}.localhost")
    browser.force_login(s.client.user)
    html = browser.get(f"/beratung/starten/{s.listing.slug}/").content.decode()
    assert _text(html, "offer-balance") == "1,00\xa0€"
    assert _text(html, "offer-minutes") == "0 Sekunden"
    assert 'id="confirm-start"' not in html
    assert "Ihr Guthaben reicht für diese Beratung nicht aus." in html
    assert 'href="/guthaben/aufladen/"' in html
    refused = browser.post(f"/beratung/starten/{s.listing.slug}/", {"bestaetigt": "1"})
    assert refused.status_code == 302
    assert not Consultation.objects.filter(client=s.client).exists()
    assert_ledger_sound()


def test_start_page_is_for_clients_of_the_platform() -> None:
    s = scene(balance_minor=1000)
    partner = Client(HTTP_HOST=f"{s.platform.slug}.localhost")
    partner.force_login(s.partner.user)
    # Partners are not in the access table for it (accounts.access): refused before the view.
    assert partner.get(f"/beratung/starten/{s.listing.slug}/").status_code == 403
    anonymous = Client(HTTP_HOST=f"{s.platform.slug}.localhost")
    assert anonymous.get(f"/beratung/starten/{s.listing.slug}/").status_code == 302


def test_start_page_and_room_in_english() -> None:
    s = scene(balance_minor=1000, rate_minor=200)
    legal_documents_start(platform=s.platform)
    browser = Client(HTTP_HOST=f"{s.platform.slug}.localhost")
    browser.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    browser.force_login(s.client.user)
    html = browser.get(f"/beratung/starten/{s.listing.slug}/").content.decode()
    assert _text(html, "offer-rate") == "€2.00 per minute"
    assert _text(html, "offer-balance") == "€10.00"
    assert _text(html, "offer-minutes") == "about 5 minutes"
    assert "Start paid consultation (€2.00/min)" in html
    browser.post(
        f"/beratung/starten/{s.listing.slug}/", {"bestaetigt": "1", "withdrawal_waiver": "on"}
    )
    consultation = Consultation.objects.get(client=s.client)
    room = browser.get(f"/beratung/{consultation.pk}/").content.decode()
    assert "The consultation has ended" in room  # the summary's heading, shown at the end
    assert "€0.00" in room
    assert "Top up now to keep talking." in room
