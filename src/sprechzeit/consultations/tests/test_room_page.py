"""The room page itself: the end state it renders (rating form or the rule that explains
why there is none), the role's words for the warning, amounts in the site's format."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client

from sprechzeit.consultations.models import Consultation
from sprechzeit.consultations.services import (
    consultation_accept,
    consultation_end,
    consultation_request,
)
from sprechzeit.consultations.tests.factories import Scene, scene
from sprechzeit.ledger.tests.helpers import assert_ledger_sound

pytestmark = pytest.mark.django_db


def _consult(s: Scene, start: datetime, seconds: int) -> Consultation:
    """A chat of `seconds`, ended by the client and settled."""
    consultation = consultation_request(client=s.client, listing=s.listing, now=start)
    consultation = consultation_accept(consultation=consultation, partner=s.partner, now=start)
    return consultation_end(
        consultation=consultation,
        reason=Consultation.EndReason.CLIENT,
        at_second=seconds,
        now=start + timedelta(seconds=seconds),
    )


def _texts(html: str) -> dict[str, object]:
    match = re.search(r'<script id="room-texts" type="application/json">(.*?)</script>', html)
    assert match is not None
    texts: dict[str, object] = json.loads(match.group(1))
    return texts


def _attrs(html: str, element_id: str) -> str:
    match = re.search(rf'<[a-z]+ id="{element_id}"[^>]*>', html)
    assert match is not None, element_id
    return match.group(0)


def test_short_consultation_explains_the_rating_rule() -> None:
    s = scene(balance_minor=1000, rate_minor=200)
    consultation = _consult(s, datetime(2026, 3, 3, 10, tzinfo=UTC), 100)
    browser = Client(HTTP_HOST=f"{s.platform.slug}.localhost")
    browser.force_login(s.client.user)
    html = browser.get(f"/beratung/{consultation.pk}/").content.decode()
    assert " hidden" in _attrs(html, "rating-form")
    assert " hidden" not in _attrs(html, "rating-note")
    assert "ab 3 Minuten bezahlter Zeit" in html
    assert " hidden" in _attrs(html, "meter-warning")
    assert "0,00\xa0€" in html  # the meter starts in the site's format, not "0,00 EUR"
    texts = _texts(html)
    assert "aufladen" in str(texts["warning"])
    assert texts["reasons"] == {
        "client": "vom Klienten beendet",
        "partner": "vom Berater beendet",
        "balance": "Guthaben aufgebraucht",
        "max_duration": "Höchstdauer erreicht",
        "timeout": "Verbindung verloren",
        "reaper": "nach Absturz geschlossen",
        "call": "Anruf beendet",
    }
    assert_ledger_sound()


def test_long_consultation_offers_the_form_and_the_partner_sees_neither() -> None:
    s = scene(balance_minor=1000, rate_minor=200)
    consultation = _consult(s, datetime(2026, 3, 3, 10, tzinfo=UTC), 200)
    browser = Client(HTTP_HOST=f"{s.platform.slug}.localhost")
    browser.force_login(s.client.user)
    html = browser.get(f"/beratung/{consultation.pk}/").content.decode()
    assert " hidden" not in _attrs(html, "rating-form")
    assert " hidden" in _attrs(html, "rating-note")
    assert browser.post(f"/beratung/{consultation.pk}/bewerten/", {"stars": "4"}).status_code == 302
    html = browser.get(f"/beratung/{consultation.pk}/").content.decode()
    assert 'id="rating-form"' not in html  # rated once: no second form

    partner = Client(HTTP_HOST=f"{s.platform.slug}.localhost")
    partner.force_login(s.partner.user)
    html = partner.get(f"/beratung/{consultation.pk}/").content.decode()
    assert 'id="rating-form"' not in html
    assert 'id="topup-hint"' not in html
    assert 'id="summary-balance"' not in html
    warning = str(_texts(html)["warning"])
    assert "aufladen" not in warning
    assert "des Klienten" in warning
    assert_ledger_sound()
