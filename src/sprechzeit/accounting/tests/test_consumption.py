"""The client's monthly consumption statement: each consultation of the month with the
partner's pseudonym, the billed duration, the price and the VAT booked for it, sums per
rate, and the VAT text of each VAT case the month had (a new country from the next
top-up on)."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from sprechzeit.accounts.models import ClientAccount
from sprechzeit.accounts.services import (
    client_register,
    client_tax_details_change,
    client_vat_case_apply,
)
from sprechzeit.accounts.tests.factories import partner_with_listing
from sprechzeit.consultations.models import PartnerPresence
from sprechzeit.consultations.services import presence_set
from sprechzeit.consultations.tests.factories import Scene, top_up
from sprechzeit.core import clock
from sprechzeit.ledger.tests.helpers import assert_ledger_sound
from sprechzeit.payments.tests.factories import host, sandbox_setup
from sprechzeit.statements.tests.factories import at, settled

pytestmark = pytest.mark.django_db


def _cells(html: str, table_id: str) -> list[list[str]]:
    table = re.search(rf'<table[^>]*id="{table_id}".*?<tbody>(.*?)</tbody>', html, re.S)
    assert table is not None
    rows = re.findall(r"<tr>(.*?)</tr>", table[1], re.S)
    return [
        [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row)]
        for row in rows
    ]


def test_consumption_statement_lists_each_consultation_with_its_vat() -> None:
    with clock.frozen_at(at(2026, 10, 1)):
        platform, _config, _policy = sandbox_setup()
        partner, listing = partner_with_listing(platform=platform, rate_minor=199)
        client: ClientAccount = client_register(
            platform=platform, email="kundin@example.com", password=None, country="DE"
        )
        top_up(client=client, minor=5000)
    presence_set(partner=partner, status=PartnerPresence.Status.ONLINE)
    s = Scene(platform=platform, partner=partner, listing=listing, client=client)
    first = settled(s, seconds=600, when=at(2026, 10, 5))
    # moved to Switzerland: from the next top-up on (which applies the case) no German VAT
    client_tax_details_change(account=client, country="CH", vat_id="")
    with clock.frozen_at(at(2026, 10, 6)):
        top_up(client=client, minor=2000)
    assert client_vat_case_apply(account=client) == "not_taxable"
    second = settled(s, seconds=300, when=at(2026, 10, 7))
    november = settled(s, seconds=120, when=at(2026, 11, 2))
    assert (first.vat_minor, second.vat_minor) == (318, 0)
    assert november.amount_minor
    browser = Client(headers=host(platform))
    browser.force_login(client.user)
    response = browser.get("/beratungen/verbrauch/?monat=2026-10")
    assert response.status_code == 200
    html = response.content.decode()
    rows = _cells(html, "consumption")
    assert len(rows) == 2  # November's consultation is not in October's statement
    assert [row[1] for row in rows] == [listing.display_name, listing.display_name]
    assert [row[2] for row in rows] == ["10:00", "5:00"]
    assert rows[0][3:] == ["19,90\xa0€", "19 %", "3,18\xa0€"]
    assert rows[1][3:] == ["9,95\xa0€", "0 %", "0,00\xa0€"]
    sums = _cells(html, "consumption-sums")
    assert sums == [
        ["0 %", "1", "9,95\xa0€", "0,00\xa0€", "9,95\xa0€"],
        ["19 %", "1", "16,72\xa0€", "3,18\xa0€", "19,90\xa0€"],
    ]
    assert "enthalten 19 % Umsatzsteuer" in html
    assert "nicht steuerbar (§ 3a Abs. 4 UStG)" in html
    assert "Reverse Charge" not in html
    assert client.customer_number in html
    # linked from the consultation history; another client sees only their own
    assert "/beratungen/verbrauch/" in browser.get("/beratungen/").content.decode()
    other = client_register(platform=platform, email="other@example.com", password=None)
    browser.force_login(other.user)
    assert _cells(
        browser.get("/beratungen/verbrauch/?monat=2026-10").content.decode(), "consumption"
    )[0][0].startswith("Keine")
    assert_ledger_sound()
