"""The DATEV posting batch: the exact file of a small month, and a month with every VAT
case whose rows, booked as DATEV books them, equal the ledger's movement per account."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from sprechzeit.accounting import errors, mapping, services
from sprechzeit.accounting.datev import datev_rows
from sprechzeit.accounting.extf import amount_text, document_text
from sprechzeit.accounting.selectors import Movement
from sprechzeit.consultations.tests.factories import scene
from sprechzeit.core import clock
from sprechzeit.core.money import Money
from sprechzeit.ledger.models import AccountPurpose
from sprechzeit.ledger.tests.helpers import assert_ledger_sound
from sprechzeit.platforms.models import LegalEntity
from sprechzeit.statements.tests.factories import at, settled
from sprechzeit.wallets import services as wallets

pytestmark = pytest.mark.django_db
PAYMENT = uuid.UUID("0c0ffee0-0000-4000-8000-000000000042")
EMPTY_TAIL = ";" * (125 - 14)


def datev_numbers(entity: LegalEntity, chart: str = "SKR03") -> LegalEntity:
    entity.datev_consultant_number = 29098
    entity.datev_client_number = 55003
    entity.chart_of_accounts = chart
    entity.save()
    return entity


def test_small_month_gives_exactly_the_hand_checked_file(tmp_path: Path) -> None:
    with clock.frozen_at(at(2026, 10, 1, 9)):
        s = scene(balance_minor=0, rate_minor=200)
        wallets.wallet_credit(
            client_account=s.client,
            amount=Money(5000, "EUR"),
            source=wallets.platform_account(
                platform=s.platform, purpose=AccountPurpose.PROVIDER_CLEARING
            ),
            id=PAYMENT,
            reference=f"payment:{PAYMENT}",
        )
    consultation = settled(s, seconds=600, when=at(2026, 10, 31, 22))
    settled(
        s,
        seconds=60,
        when=at(
            2026,
            11,
            1,
            0,
        ),
    )  # November: not in the file
    entity = datev_numbers(s.platform.legal_entity)
    # Hand-checked: 10 minutes at 2,00 € = 20,00 € gross; net 2000 × 100 / 119 = 1680,67
    # → 16,81 €, VAT 3,19 €; the partner's 50 % of the net: 8,40 € (8,405 → half-up).
    assert (consultation.amount_minor, consultation.vat_minor) == (2000, 319)
    assert consultation.partner_share_minor == 841
    with clock.frozen_at(at(2026, 11, 3, 8)):
        call_command(
            "accounting",
            "datev",
            "--entity",
            str(entity.pk),
            "--period",
            "2026-10",
            "--out",
            str(tmp_path),
        )
    (path,) = tmp_path.iterdir()
    assert path.name == "EXTF_Buchungsstapel_29098_55003_20261001_20261031.csv"
    pay = "Z-" + PAYMENT.hex.upper()
    b = "B-" + consultation.pk.hex.upper()
    expected = (
        '"EXTF";700;21;"Buchungsstapel";13;20261103080000000;;"RE";"";"";29098;55003;'
        '20260101;4;20261001;20261031;"Sprechzeit 2026-10";"";1;0;0;"EUR";;"";;;"03";;;"";""\r\n'
        + ";".join(COLUMN_NAMES)
        + "\r\n"
        f'50,00;"S";"EUR";;;;1361;1710;"";0110;"{pay}";;;"Aufladung Guthaben"{EMPTY_TAIL}\r\n'
        f'20,00;"S";"EUR";;;;1710;1590;"";3110;"{b}";;;"Beratung Verbrauch Guthaben"{EMPTY_TAIL}\r\n'
        f'20,00;"S";"EUR";;;;1590;8200;"3";3110;"{b}";;;"Beratung Erlös"{EMPTY_TAIL}\r\n'
        f'8,41;"S";"EUR";;;;3100;1600;"";3110;"{b}";;;"Beratung Anteil Berater"{EMPTY_TAIL}\r\n'
    ).encode("cp1252")
    assert path.read_bytes() == expected
    assert_ledger_sound()


def test_numbers_and_period_are_checked(tmp_path: Path) -> None:
    entity = scene(balance_minor=0).platform.legal_entity
    with pytest.raises(errors.DatevNumbersMissing):
        services.datev_batch(legal_entity=entity, period="2026-10")
    with pytest.raises(errors.PeriodNotMonthOrQuarter):
        services.datev_batch(legal_entity=datev_numbers(entity), period="2026-10-H1")
    with pytest.raises(CommandError, match="period_not_month_or_quarter"):
        call_command(
            "accounting",
            "datev",
            "--entity",
            str(entity.pk),
            "--period",
            "x",
            "--out",
            str(tmp_path),
        )
    # numbers given on the command line win; an empty month is a valid, empty batch
    batch = services.datev_batch(
        legal_entity=entity, period="2026-Q1", consultant_number=1001, client_number=7
    )
    assert batch.rows == ()
    assert batch.content.count(b"\r\n") == 2
    assert b";1001;7;20260101;4;20260101;20260331;" in batch.content


def test_fiscal_year_start_and_field_formats() -> None:
    entity = LegalEntity(fiscal_year_start_month=7)
    assert services.fiscal_year_start(legal_entity=entity, day=date(2026, 3, 1)) == date(2025, 7, 1)
    assert services.fiscal_year_start(legal_entity=entity, day=date(2026, 7, 1)) == date(2026, 7, 1)
    assert amount_text(5) == "0,05"
    assert amount_text(123456) == "1234,56"
    with pytest.raises(ValueError, match="positive"):
        amount_text(0)
    assert document_text("GS-2026-000001") == "GS-2026-000001"
    assert document_text("Zahlung: ä/ü_x " + "9" * 40) == "Zahlung/x" + "9" * 27


def test_a_charge_settled_over_two_holds_is_one_revenue_row() -> None:
    """Each hold settles in its own batch and the VAT is taken from the first holds:
    3,19 € VAT of 20,00 € all in the first batch (5,00 €), the rest in the second. The
    export groups the legs by consultation: one row of 20,00 € with the 19 % key."""

    def leg(batch: str, purpose: str, credit: str, amount: int) -> Movement:
        return Movement(
            id=f"{batch}{purpose}",
            day=date(2026, 10, 5),
            amount_minor=amount,
            debit_account_id=1,
            credit_account_id=2,
            debit_kind=AccountPurpose.CONSULTATION_CLEARING,
            credit_kind=credit,
            purpose=purpose,
            reference="consultation:7",
            batch_id=batch,
        )

    movements = [
        leg("a", "consultation_vat", AccountPurpose.OUTPUT_VAT, 319),
        leg("a", "consultation_partner", AccountPurpose.PARTNER_PAYABLE, 181),
        leg("b", "consultation_partner", AccountPurpose.PARTNER_PAYABLE, 660),
        leg("b", "consultation_revenue", AccountPurpose.PLATFORM_REVENUE, 840),
    ]
    rows = datev_rows(movements)
    assert [(r.amount_minor, r.debit_kind, r.credit_kind, r.bu_key) for r in rows] == [
        (2000, AccountPurpose.CONSULTATION_CLEARING, AccountPurpose.PLATFORM_REVENUE, "3"),
        (841, mapping.PARTNER_FEES, AccountPurpose.PARTNER_PAYABLE, ""),
    ]
    # a VAT that no rate gives is written as its own row, the revenue without a key
    odd = datev_rows([*movements[:1], replace(movements[1], amount_minor=1), *movements[2:]])
    assert [(r.amount_minor, r.credit_kind, r.bu_key) for r in odd] == [
        (319, AccountPurpose.OUTPUT_VAT, ""),
        (1501, AccountPurpose.PLATFORM_REVENUE, ""),
        (661, AccountPurpose.PARTNER_PAYABLE, ""),
    ]


COLUMN_NAMES: list[str] = []


@pytest.fixture(autouse=True)
def _columns() -> None:
    from sprechzeit.accounting.columns import COLUMNS  # noqa: PLC0415

    COLUMN_NAMES[:] = COLUMNS
