"""A constructed month with every VAT case: the DATEV rows per account equal the
ledger's movement, and each Kennzahl of the VAT return is what the documents say."""

from __future__ import annotations

import io
from collections import defaultdict

import pytest
from django.core.management import call_command

from sprechzeit.accounting import mapping, services
from sprechzeit.accounting.datev import accounts_movement
from sprechzeit.accounting.tests.scenario import Month, october
from sprechzeit.accounting.vat import vat_return
from sprechzeit.core import clock
from sprechzeit.ledger.models import AccountPurpose
from sprechzeit.ledger.selectors import Counters
from sprechzeit.ledger.tests.helpers import assert_ledger_sound
from sprechzeit.statements.tests.factories import at

pytestmark = pytest.mark.django_db
ZERO = Counters(0, 0, 0, 0)


@pytest.fixture
def month() -> Month:
    return october()


def ledger_movement(
    month: Month, before: dict[int, Counters], after: dict[int, Counters], chart: str
) -> dict[int, int]:
    """Debits − credits per DATEV account from the ledger's counters, with the partner
    shares moved from the revenue account to the partner fees (as the export books
    them: revenue is what the operator sold, the shares its expense)."""
    totals: dict[int, int] = defaultdict(int)
    for account_id, purpose in month.accounts().items():
        new, old = after.get(account_id, ZERO), before.get(account_id, ZERO)
        moved = (new.debits_posted - old.debits_posted) - (new.credits_posted - old.credits_posted)
        totals[mapping.datev_account(kind=purpose, chart=chart)] += moved
    return dict(totals)


def shares_settled(month: Month) -> int:
    return sum(c.partner_share_minor or 0 for cs in month.consultations.values() for c in cs)


@pytest.mark.parametrize("chart", ["SKR03", "SKR04"])
def test_rows_per_account_equal_the_ledger_movement(month: Month, chart: str) -> None:
    month.entity.chart_of_accounts = chart
    month.entity.save()
    with clock.frozen_at(at(2026, 12, 1)):
        oct_batch = services.datev_batch(legal_entity=month.entity, period="2026-10")
        nov_batch = services.datev_batch(legal_entity=month.entity, period="2026-11")
    expected = ledger_movement(month, {}, month.after_october, chart)
    shares = shares_settled(month)
    assert shares > 0
    fees = mapping.datev_account(kind=mapping.PARTNER_FEES, chart=chart)
    revenue = mapping.datev_account(kind=AccountPurpose.PLATFORM_REVENUE, chart=chart)
    expected[fees] = expected.get(fees, 0) + shares
    expected[revenue] -= shares
    assert accounts_movement(oct_batch.rows, chart=chart) == {
        k: v for k, v in expected.items() if v
    }
    november = ledger_movement(month, month.after_october, month.after_november, chart)
    assert accounts_movement(nov_batch.rows, chart=chart) == {
        k: v for k, v in november.items() if v
    }
    # every consultation's revenue row carries the 19 % key; no VAT row is written for it
    output_vat = mapping.datev_account(kind=AccountPurpose.OUTPUT_VAT, chart=chart)
    keyed = [row for row in oct_batch.rows if row.bu_key]
    assert len(keyed) == sum(len(cs) for cs in month.consultations.values())
    assert {row.bu_key for row in keyed} == {"3"}
    assert all(output_vat not in (row.account, row.contra_account) for row in oct_batch.rows)
    # the credit notes' bookings carry their numbers in Belegfeld 1
    documents = {row.document for row in nov_batch.rows}
    assert {note.number for note in month.notes.values() if note.vat_minor} <= documents
    assert month.cancellation is not None
    assert month.cancellation.cancels is not None
    assert month.cancellation.cancels.number in documents
    assert_ledger_sound()


def test_each_kennzahl_of_october_and_november(month: Month) -> None:
    """Hand-checked from the scenario (1,99 € a minute, gross prices, VAT contained):

    regular 600 s = 19,90 (VAT 3,18) and 61 s = 2,02 (0,32); small business 300 s =
    9,95 (1,59); EU 1200 s = 39,80 (6,35); outside the EU 900 s = 29,85 (4,77) and
    120 s = 3,98 (0,64). Gross 105,50, VAT 16,85, net 88,65.
    Credit notes (issued 2 Nov): regular 9,21 net + 1,75 VAT; EU 16,73 (§ 13b: 3,18);
    outside the EU 14,21 (§ 13b: 2,70). The EU note is cancelled on 5 Nov and reissued:
    the new note counts for October (its service), the cancellation for November.
    """
    consultations = [
        (c.amount_minor, c.vat_minor) for cs in month.consultations.values() for c in cs
    ]
    assert sorted(consultations) == sorted(
        [(1990, 318), (202, 32), (995, 159), (3980, 635), (2985, 477), (398, 64)]
    )
    october_ = vat_return(legal_entity=month.entity, period="2026-10")
    assert october_.kennzahlen() == {
        "81": 8865,
        "81 Steuer": 1685,
        "86": 0,
        "86 Steuer": 0,
        "21": 0,
        "45": 0,
        "46": 2 * 1673,
        "47": 2 * 318,
        "52": 1421,
        "53": 270,
        "66": 0,
        "67": 2 * 318 + 270,
        "83": 1685,
    }
    assert october_.reconciled
    november = vat_return(legal_entity=month.entity, period="2026-11")
    assert november.kennzahlen() == {
        "81": 0,
        "81 Steuer": 0,
        "86": 0,
        "86 Steuer": 0,
        "21": 0,
        "45": 0,
        "46": -1673,
        "47": -318,
        "52": 0,
        "53": 0,
        "66": 175,
        "67": -318,
        "83": -175,
    }
    assert november.ledger == {
        "output_vat": 0,
        "output_vat_13b": -318,
        "input_vat_13b": -318,
        "input_vat": 175,
    }
    assert november.reconciled
    # the quarter is the sum of its months
    quarter = vat_return(legal_entity=month.entity, period="2026-Q4")
    assert quarter.kennzahlen() == {
        kz: october_.kennzahlen()[kz] + november.kennzahlen()[kz] for kz in quarter.kennzahlen()
    }
    assert quarter.reconciled
    assert_ledger_sound()


def test_the_command_prints_the_kennzahlen(month: Month) -> None:
    out = io.StringIO()
    call_command(
        "accounting", "vat", "--entity", str(month.entity.pk), "--period", "2026-10", stdout=out
    )
    text = out.getvalue()
    assert "Kz        81:          88,65" in text
    assert "Kz        67:           9,06" in text
    assert "abgestimmt: ja" in text
