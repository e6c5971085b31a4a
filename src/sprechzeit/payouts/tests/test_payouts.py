"""Payout runs, the SEPA file against the DK schema, bank confirmation and returns."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from sprechzeit.core import clock
from sprechzeit.ledger.models import AccountPurpose
from sprechzeit.ledger.selectors import account_balance
from sprechzeit.ledger.tests.helpers import assert_ledger_sound
from sprechzeit.payouts import errors, lines, sepa, services
from sprechzeit.payouts.models import BankLine, Payout, PayoutPolicy
from sprechzeit.payouts.tests.factories import (
    Line,
    at,
    busy_scene,
    camt,
    close_month,
    paying_platform,
    settled,
    tax_profile,
)
from sprechzeit.statements.models import Statement
from sprechzeit.statements.services import entity_account
from sprechzeit.statements.vat import VatStatus
from sprechzeit.wallets import services as wallets

pytestmark = pytest.mark.django_db
PAIN = "{urn:iso:std:iso:20022:tech:xsd:pain.001.001.09}"
DATA = Path(__file__).parent / "data"
SAMPLE = DATA / "pain.001.001.09_payout_sepaxml.xml"
CAMT_SAMPLE = DATA / "camt053_001_08_de_synthetic.xml"


def payable(partner: object) -> int:
    account = wallets.partner_payable_account(partner=partner, currency="EUR")  # type: ignore[arg-type]
    return account_balance(account=account).posted.minor


def test_dk_schema_accepts_the_sample_and_refuses_broken_files() -> None:
    assert sepa.sepa_errors(SAMPLE.read_bytes()) == []
    broken = SAMPLE.read_bytes().replace(b'<InstdAmt Ccy="EUR">119.00', b'<InstdAmt Ccy="EUR">0.00')
    assert sepa.sepa_errors(broken) != []


def test_run_pays_due_partners_and_bank_confirms() -> None:
    platform = paying_platform()
    PayoutPolicy.objects.create(legal_entity=platform.legal_entity, threshold_minor=1000)
    regular = busy_scene(platform=platform)
    small = busy_scene(platform=platform)  # earns below the threshold: carried forward
    missing = busy_scene(platform=platform)  # no tax data: held, nothing paid
    tax_profile(regular.partner, VatStatus.REGULAR)
    tax_profile(small.partner, VatStatus.SMALL_BUSINESS)
    settled(regular, seconds=1800, when=at(2026, 10, 10))
    settled(small, seconds=30, when=at(2026, 10, 11))
    settled(missing, seconds=600, when=at(2026, 10, 12))
    close_month()
    credit_note = Statement.objects.get(partner=regular.partner)
    with clock.frozen_at(at(2026, 11, 3)):
        run = services.payout_run_create(legal_entity=platform.legal_entity)
    assert run.count == 1
    reasons = {entry["partner_id"]: entry["reason"] for entry in run.skipped}
    assert "Mindestbetrag" in reasons[small.partner.pk]
    # a held statement is not owed yet: the earnings stay on the payable
    assert missing.partner.pk not in reasons
    assert payable(missing.partner) > 0
    xml = bytes(run.file or b"")
    assert sepa.sepa_errors(xml) == []
    tree = etree.fromstring(xml)
    assert tree.findtext(f".//{PAIN}EndToEndId") == credit_note.number
    assert tree.findtext(f".//{PAIN}InstdAmt") == f"{credit_note.gross_minor / 100:.2f}"
    creditor = tree.find(f".//{PAIN}Cdtr/{PAIN}PstlAdr")
    assert creditor is not None
    assert creditor.findtext(f"{PAIN}TwnNm") == "Berlin"
    assert creditor.findtext(f"{PAIN}Ctry") == "DE"
    assert payable(regular.partner) == 0
    in_transit = entity_account(
        legal_entity=platform.legal_entity, purpose=AccountPurpose.PAYOUT_IN_TRANSIT
    )
    assert account_balance(account=in_transit).posted.minor == -credit_note.gross_minor
    # nothing is paid twice
    with clock.frozen_at(at(2026, 11, 3)), pytest.raises(errors.NothingToPay):
        services.payout_run_create(legal_entity=platform.legal_entity)
    # the bank statement confirms it; a foreign line stays unmatched; a rerun repeats nothing
    statement = camt([Line(str(credit_note.number), credit_note.gross_minor), Line("XYZ-1", 500)])
    result = lines.payouts_import_camt(xml=statement)
    assert (result.confirmed, result.unmatched) == ([credit_note.number], ["XYZ-1"])
    assert lines.payouts_import_camt(xml=statement).repeated == 2
    assert Payout.objects.get().status == Payout.Status.CONFIRMED
    assert account_balance(account=in_transit).posted.minor == 0
    assert payable(small.partner) == Statement.objects.get(partner=small.partner).gross_minor
    assert BankLine.objects.filter(outcome=BankLine.Outcome.UNMATCHED).count() == 1
    assert_ledger_sound()


def test_returned_payout_goes_back_to_payable_and_blocks_the_partner() -> None:
    platform = paying_platform()
    s = busy_scene(platform=platform)
    tax_profile(s.partner, VatStatus.EU_REVERSE_CHARGE)
    settled(s, seconds=1800, when=at(2026, 10, 10))
    close_month()
    note = Statement.objects.get(partner=s.partner)
    with clock.frozen_at(at(2026, 11, 3)):
        services.payout_run_create(legal_entity=platform.legal_entity)
    # a line with our id but another amount matches nothing and books nothing
    wrong = lines.payouts_import_camt(
        xml=camt([Line(str(note.number), note.gross_minor + 1)], statement_id="STMT-0")
    )
    assert wrong.unmatched == [note.number]
    assert Payout.objects.get().status == Payout.Status.IN_TRANSIT
    result = lines.payouts_import_camt(
        xml=camt([Line(str(note.number), note.gross_minor, credit=True, reason="AC04")])
    )
    assert result.returned == [note.number]
    assert payable(s.partner) == note.gross_minor
    s.partner.tax_profile.refresh_from_db()
    assert "AC04" in s.partner.tax_profile.payout_blocked_reason
    with clock.frozen_at(at(2026, 11, 4)), pytest.raises(errors.NothingToPay) as caught:
        services.payout_run_create(legal_entity=platform.legal_entity)
    assert "gesperrt" in caught.value.fields["skipped"][0]["reason"]
    # the partner fixes the IBAN: the first run after its cooling-off pays the statement
    with clock.frozen_at(at(2026, 11, 4)):
        tax_profile(s.partner, VatStatus.EU_REVERSE_CHARGE, iban="AT483200000012345864")
    with clock.frozen_at(at(2026, 11, 8)):
        run = services.payout_run_create(legal_entity=platform.legal_entity)
    assert run.total_minor == note.gross_minor
    assert payable(s.partner) == 0
    assert_ledger_sound()


def test_camt_sample_parses() -> None:
    parsed = lines.camt_lines(CAMT_SAMPLE.read_bytes())
    assert len(parsed) == 4
    assert [line.reason_code for line in parsed] == ["", "", "MD06", ""]
    assert parsed[3].end_to_end_id == "GS2026000123"
    assert parsed[3].amount_minor == 11900
    with pytest.raises(errors.BankStatementInvalid):
        lines.camt_lines(b"<not xml")
