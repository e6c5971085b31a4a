"""Itemized records (EVN) and pages: sums equal the ledger's movements."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client

from sprechzeit.consultations import records
from sprechzeit.consultations.models import Consultation, Rating
from sprechzeit.consultations.records import (
    month_sums,
    records_csv,
    records_for_client,
    records_for_partner,
)
from sprechzeit.consultations.services import (
    consultation_accept,
    consultation_end,
    consultation_request,
)
from sprechzeit.consultations.tests.factories import Scene, scene
from sprechzeit.ledger.selectors import account_balance
from sprechzeit.ledger.tests.helpers import assert_ledger_sound
from sprechzeit.legal.services import legal_documents_start
from sprechzeit.wallets import services as wallets

pytestmark = pytest.mark.django_db


def _consult(s: Scene, start: datetime, seconds: int) -> Consultation:
    consultation = consultation_request(client=s.client, listing=s.listing, now=start)
    consultation = consultation_accept(consultation=consultation, partner=s.partner, now=start)
    return consultation_end(
        consultation=consultation,
        reason=Consultation.EndReason.CLIENT,
        at_second=seconds,
        now=start + timedelta(seconds=seconds),
    )


def test_records_month_filter_pseudonyms_and_ledger_sums() -> None:
    s = scene(balance_minor=5000, rate_minor=199)
    _consult(s, datetime(2026, 3, 3, 10, tzinfo=UTC), 95)
    _consult(s, datetime(2026, 3, 20, 10, tzinfo=UTC), 601)
    _consult(s, datetime(2026, 4, 1, 12, tzinfo=UTC), 30)

    client_rows = records_for_client(client=s.client)
    assert [row.amount_minor for row in client_rows] == [315, 1993, 100]
    assert [row.amount_minor for row in records_for_client(client=s.client, month="2026-03")] == [
        315,
        1993,
    ]
    partner_rows = records_for_partner(partner=s.partner, platform=s.platform)
    assert {row.client for row in partner_rows} != {s.client.customer_number}
    assert all(row.client.startswith("K-") for row in partner_rows)
    sums = month_sums(partner_rows)
    assert [(m.month, m.consultations, m.amount_minor) for m in sums] == [
        ("2026-03", 2, 2308),
        ("2026-04", 1, 100),
    ]

    # The records' sums are the ledger's movements.
    wallet = wallets.wallet_for(s.client)
    assert account_balance(account=wallet.paid).counters.debits_posted == sum(
        row.amount_minor for row in client_rows
    )
    payable = wallets.partner_payable_account(partner=s.partner, currency="EUR")
    assert account_balance(account=payable).counters.credits_posted == sum(
        row.partner_share_minor for row in partner_rows
    )

    csv_text = records_csv(partner_rows, for_partner=True)
    assert csv_text.splitlines()[0].startswith("Beginn;Ende;Plattform;Klient")
    assert "3,15" in csv_text
    assert s.client.customer_number not in csv_text
    assert_ledger_sound()


def test_pages_for_client_and_partner() -> None:
    s = scene(balance_minor=1000, rate_minor=200)
    consultation = _consult(s, datetime(2026, 3, 3, 10, tzinfo=UTC), 200)
    host = f"{s.platform.slug}.localhost"

    client_browser = Client(HTTP_HOST=host)
    client_browser.force_login(s.client.user)
    room = client_browser.get(f"/beratung/{consultation.pk}/")
    assert room.status_code == 200
    assert b"/ws/consultations/" in room.content
    assert b'name="stars"' in room.content
    records = client_browser.get("/beratungen/?monat=2026-03")
    assert records.status_code == 200
    csv_response = client_browser.get("/beratungen.csv")
    assert csv_response["Content-Type"].startswith("text/csv")
    assert b"6,67" in csv_response.content
    for stars in ("0", "6", "²", "9" * 5000, ""):
        refused = client_browser.post(f"/beratung/{consultation.pk}/bewerten/", {"stars": stars})
        assert refused.status_code == 302  # back to the room, with the refusal's message
        assert refused["Location"] == f"/beratung/{consultation.pk}/"
    assert not Rating.objects.filter(consultation=consultation).exists()
    rated = client_browser.post(f"/beratung/{consultation.pk}/bewerten/", {"stars": "5"})
    assert rated.status_code == 302
    assert consultation.rating.stars == 5

    partner_browser = Client(HTTP_HOST=host)
    partner_browser.force_login(s.partner.user)
    assert partner_browser.get("/berater/anfragen/").status_code == 200
    assert partner_browser.get("/berater/abrechnung.csv").status_code == 200
    assert partner_browser.post("/berater/status/", {"status": "offline"}).status_code == 302
    availability = client_browser.get(f"/verfuegbarkeit/?listing={s.listing.pk}").json()
    assert availability == {"listings": {str(s.listing.pk): "offline"}}

    stranger = scene(platform=s.platform, balance_minor=0)
    stranger_browser = Client(HTTP_HOST=host)
    stranger_browser.force_login(stranger.client.user)
    assert stranger_browser.get(f"/beratung/{consultation.pk}/").status_code == 404


def test_start_page_redirects_to_the_room_or_explains_the_refusal() -> None:
    s = scene(balance_minor=0, rate_minor=200)
    legal_documents_start(platform=s.platform)
    waiver = {"withdrawal_waiver": "on"}  # § 356 BGB, asked before the first consultation
    browser = Client(HTTP_HOST=f"{s.platform.slug}.localhost")
    browser.force_login(s.client.user)
    refused = browser.post(
        f"/beratung/starten/{s.listing.slug}/", {"bestaetigt": "1", **waiver}, follow=True
    )
    assert refused.redirect_chain == [(f"/berater/{s.listing.slug}/", 302)]
    assert "Ihr Guthaben reicht für diese Beratung nicht aus." in refused.content.decode()
    assert not Consultation.objects.exists()
    rich = scene(platform=s.platform, balance_minor=1000)
    browser.force_login(rich.client.user)
    started = browser.post(f"/beratung/starten/{rich.listing.slug}/", {"bestaetigt": "1", **waiver})
    consultation = Consultation.objects.get(client=rich.client)
    assert started["Location"] == f"/beratung/{consultation.pk}/"


def test_records_pages_newest_first_with_the_sums_of_all(monkeypatch: pytest.MonkeyPatch) -> None:
    """The page lists `RECORDS_PAGE` records, newest first; its month sums are the
    database's and equal those of every record (`month_sums`), on every page."""
    monkeypatch.setattr(records, "RECORDS_PAGE", 2)
    s = scene(balance_minor=10_000, rate_minor=199)
    for day, seconds in ((3, 95), (20, 601), (31, 60)):
        _consult(s, datetime(2026, 3, day, 10, tzinfo=UTC), seconds)
    _consult(s, datetime(2026, 4, 1, 12, tzinfo=UTC), 30)
    _consult(s, datetime(2026, 4, 2, 12, tzinfo=UTC), 45)
    every = records_for_client(client=s.client)
    first = records.records_page_for_client(client=s.client)
    assert [r.started_at.day for r in first.records] == [2, 1]  # newest first
    assert first.sums == month_sums(every)
    assert [(m.month, m.consultations) for m in first.sums] == [("2026-03", 3), ("2026-04", 2)]
    last = records.records_page_for_client(client=s.client, number="3")
    assert [r.started_at.day for r in last.records] == [3]
    assert last.sums == first.sums
    march = records.records_page_for_client(client=s.client, month="2026-03", number="x")
    assert [r.started_at.day for r in march.records] == [31, 20]
    assert march.sums == month_sums(records_for_client(client=s.client, month="2026-03"))
    partner = records.records_page_for_partner(partner=s.partner)
    assert partner.sums == month_sums(records_for_partner(partner=s.partner))
    assert all(r.client.startswith("K-") for r in partner.records)

    browser = Client(HTTP_HOST=f"{s.platform.slug}.localhost")
    browser.force_login(s.client.user)
    page = browser.get("/beratungen/?monat=2026-03&seite=2").content.decode()
    assert page.count('class="record-medium"') == 1
    assert "Seite 2 von 2" in page
    assert 'href="?monat=2026-03&amp;seite=1"' in page
    assert_ledger_sound()
