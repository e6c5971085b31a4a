"""The bank answers the file actually written: its MsgId is the run's, a pain.002 rejects
by MsgId/PmtInfId/EndToEndId, a collective camt.053 entry (Btch without TxDtls) confirms
the run, a camt.054 breaks it down, returns (RTRN AC04/AM04/MD07) go back to the partner
who is blocked until the IBAN changes — and nothing is booked twice."""

from __future__ import annotations

import pytest

from sprechzeit.core import clock
from sprechzeit.ledger.models import AccountPurpose, Transfer
from sprechzeit.ledger.selectors import account_balance
from sprechzeit.ledger.tests.helpers import assert_ledger_sound
from sprechzeit.payments.models import BankEntry, BankEntryStatus, ProviderConfig, ProviderKind
from sprechzeit.payouts import errors, lines, services
from sprechzeit.payouts.bank import bank_statement_import
from sprechzeit.payouts.models import BankLine, Payout, PayoutRun
from sprechzeit.payouts.tests.bank_answers import (
    Written,
    camt053_collective,
    camt053_return,
    camt054_details,
    camt_errors,
    pain002,
    written,
)
from sprechzeit.payouts.tests.factories import (
    at,
    busy_scene,
    close_month,
    paying_platform,
    settled,
    tax_profile,
)
from sprechzeit.platforms.models import Platform
from sprechzeit.statements.models import PartnerTaxProfile, Statement
from sprechzeit.statements.services import entity_account, tax_profile_save
from sprechzeit.statements.vat import VatStatus
from sprechzeit.wallets import services as wallets

pytestmark = pytest.mark.django_db


def payable(partner: object) -> int:
    account = wallets.partner_payable_account(partner=partner, currency="EUR")  # type: ignore[arg-type]
    return account_balance(account=account).posted.minor


def in_transit(platform: Platform) -> int:
    account = entity_account(
        legal_entity=platform.legal_entity, purpose=AccountPurpose.PAYOUT_IN_TRANSIT
    )
    return account_balance(account=account).posted.minor


def three_paid() -> tuple[Platform, PayoutRun, Written, list[Statement]]:
    """Three partners paid in one run; the bank's view of it, read from the file."""
    platform = paying_platform()
    ProviderConfig.objects.create(platform=platform, kind=ProviderKind.BANK_TRANSFER, name="Konto")
    scenes = [busy_scene(platform=platform) for _ in range(3)]
    for minutes, scene in zip((60, 45, 30), scenes, strict=True):
        tax_profile(scene.partner, VatStatus.REGULAR)
        settled(scene, seconds=minutes * 60, when=at(2026, 10, 10))
    close_month()
    with clock.frozen_at(at(2026, 11, 3)):
        run = services.payout_run_create(legal_entity=platform.legal_entity)
    notes = [Statement.objects.get(partner=scene.partner) for scene in scenes]
    return platform, run, written(bytes(run.file or b"")), notes


def statuses() -> dict[str, str]:
    return dict(Payout.objects.values_list("end_to_end_id", "status"))


def test_the_file_carries_the_runs_ids() -> None:
    _platform, run, sent, notes = three_paid()
    assert sent.message_id == run.message_id
    assert sent.payment_info_id == run.payment_info_id != ""
    assert sorted(tx.end_to_end_id for tx in sent.transactions) == sorted(
        str(note.number) for note in notes
    )
    assert (sent.count, sent.total) == (3, f"{run.total_minor / 100:.2f}")


def test_a_pain002_built_from_the_file_rejects_one_payout() -> None:
    platform, _run, sent, notes = three_paid()
    rejected = notes[1]
    report = pain002(sent, {str(rejected.number): "AC04"})
    result = bank_statement_import(content=report, file_name="pain002.xml")
    assert (result.payouts_returned, result.payouts_unmatched) == ([str(rejected.number)], [])
    assert statuses()[str(rejected.number)] == Payout.Status.RETURNED
    assert payable(rejected.partner) == rejected.gross_minor
    profile = PartnerTaxProfile.objects.get(partner=rejected.partner)
    assert profile.payout_blocked_reason.startswith("Ablehnung durch die Bank (AC04)")
    # again: nothing more
    again = bank_statement_import(content=report, file_name="pain002.xml")
    assert (again.payouts_returned, again.known) == ([], 1)
    assert payable(rejected.partner) == rejected.gross_minor
    # another payment block's id does not reject this run's payouts
    other = pain002(
        Written(sent.message_id, "NOT-OUR-BLOCK", sent.debtor_iban, 3, sent.total, []),
        {},
        report_id="RPT-2",
    ).replace(
        b"<PmtInfSts>PART</PmtInfSts>",
        b"<PmtInfSts>RJCT</PmtInfSts>",
    )
    assert bank_statement_import(content=other, file_name="p2.xml").payouts_returned == []
    # the bank executes the other two as one collective entry
    collective = camt053_collective(sent, leave_out=(str(rejected.number),))
    assert camt_errors(collective) == []
    booked = bank_statement_import(content=collective, file_name="camt.xml")
    assert sorted(booked.payouts_confirmed) == sorted(str(n.number) for n in (notes[0], notes[2]))
    assert in_transit(platform) == 0
    assert_ledger_sound()


def test_a_collective_entry_confirms_the_run_and_its_camt054_books_nothing_more() -> None:
    platform, run, sent, notes = three_paid()
    collective = camt053_collective(sent)
    assert camt_errors(collective) == []
    assert b"<TxDtls>" not in collective
    result = bank_statement_import(content=collective, file_name="camt053.xml")
    assert sorted(result.payouts_confirmed) == sorted(str(note.number) for note in notes)
    assert set(statuses().values()) == {Payout.Status.CONFIRMED}
    assert in_transit(platform) == 0
    entry = BankEntry.objects.get()
    assert entry.status == BankEntryStatus.PAYOUT
    transfers = Transfer.objects.count()
    # the same statement again, and the camt.054 with the details: nothing booked
    assert (
        bank_statement_import(content=collective, file_name="camt053.xml").payouts_confirmed == []
    )
    details = camt054_details(sent)
    assert camt_errors(details) == []
    broken_down = bank_statement_import(content=details, file_name="camt054.xml")
    assert (broken_down.payouts_confirmed, broken_down.review) == ([], 0)
    assert BankLine.objects.filter(outcome=BankLine.Outcome.KNOWN).count() == 3
    assert Transfer.objects.count() == transfers
    assert BankLine.objects.get(outcome=BankLine.Outcome.CONFIRMED).run == run
    assert_ledger_sound()


def test_camt054_details_first_then_the_collective_entry_is_known() -> None:
    platform, _run, sent, notes = three_paid()
    result = lines.payouts_import_camt(xml=camt054_details(sent))
    assert sorted(result.confirmed) == sorted(str(note.number) for note in notes)
    assert in_transit(platform) == 0
    later = lines.payouts_import_camt(xml=camt053_collective(sent))
    assert (later.confirmed, later.known, later.unmatched) == ([], [sent.payment_info_id], [])
    assert lines.payouts_import_camt(xml=camt053_collective(sent)).repeated == 1
    assert_ledger_sound()


def test_a_collective_entry_with_another_total_or_count_confirms_nothing() -> None:
    platform, _run, sent, notes = three_paid()
    # one transaction short (the bank executed two, no pain.002 said why): staff look
    short = lines.payouts_import_camt(
        xml=camt053_collective(sent, leave_out=(str(notes[0].number),), statement_id="S1")
    )
    assert short.confirmed == []
    assert short.unmatched == [sent.payment_info_id]
    assert set(statuses().values()) == {Payout.Status.IN_TRANSIT}
    # an unknown batch
    foreign = camt053_collective(
        Written("OTHER-MSG", "OTHER-PMT", sent.debtor_iban, 1, "1.00", sent.transactions[:1]),
        statement_id="S2",
    )
    assert lines.payouts_import_camt(xml=foreign).unmatched == ["OTHER-PMT"]
    assert abs(in_transit(platform)) == sum(note.gross_minor for note in notes)
    assert_ledger_sound()


@pytest.mark.parametrize("reason", ["AC04", "AM04", "MD07"])
def test_a_return_after_execution_goes_back_and_blocks_until_the_iban_changes(
    reason: str,
) -> None:
    platform, _run, sent, notes = three_paid()
    lines.payouts_import_camt(xml=camt053_collective(sent))
    returned = notes[2]
    back = camt053_return(sent, str(returned.number), reason)
    assert camt_errors(back) == []
    result = bank_statement_import(content=back, file_name="return.xml")
    assert result.payouts_returned == [str(returned.number)]
    payout = Payout.objects.get(end_to_end_id=str(returned.number))
    assert (payout.status, payout.return_reason) == (Payout.Status.RETURNED, reason)
    assert payable(returned.partner) == returned.gross_minor
    profile = PartnerTaxProfile.objects.get(partner=returned.partner)
    assert profile.payout_blocked_reason.startswith(f"Rücküberweisung der Bank ({reason})")
    # re-import: nothing more
    assert bank_statement_import(content=back, file_name="return.xml").payouts_returned == []
    assert payable(returned.partner) == returned.gross_minor
    # blocked: the next run has nothing to pay
    with clock.frozen_at(at(2026, 11, 6)), pytest.raises(errors.NothingToPay) as caught:
        services.payout_run_create(legal_entity=platform.legal_entity)
    assert reason in caught.value.fields["skipped"][0]["reason"]
    # a new IBAN lifts the block: a run after its cooling-off pays the amount again
    fields = {
        name: getattr(profile, name)
        for name in ("legal_name", "street", "postal_code", "city", "country", "vat_id")
    }
    with clock.frozen_at(at(2026, 11, 6, 14)):
        tax_profile_save(
            partner=returned.partner,
            **fields,
            vat_status=VatStatus.REGULAR,
            iban="DE75512108001245126199",
            account_holder=profile.account_holder,
        )
    # … after the cooling-off of a changed IBAN (docs/payouts.md, "IBAN changes")
    with clock.frozen_at(at(2026, 11, 7)), pytest.raises(errors.NothingToPay) as cooling:
        services.payout_run_create(legal_entity=platform.legal_entity)
    assert "Neue IBAN" in cooling.value.fields["skipped"][0]["reason"]
    with clock.frozen_at(at(2026, 11, 12)):
        again = services.payout_run_create(legal_entity=platform.legal_entity)
    assert (again.count, again.total_minor) == (1, returned.gross_minor)
    assert written(bytes(again.file or b"")).transactions[0].creditor_iban == (
        "DE75512108001245126199"
    )
    assert_ledger_sound()


def test_a_return_before_the_collective_entry_counts_as_executed() -> None:
    platform, _run, sent, notes = three_paid()
    lines.payouts_import_camt(xml=camt053_return(sent, str(notes[0].number), "AC04"))
    assert payable(notes[0].partner) == notes[0].gross_minor
    # the collective entry still covers all three (the bank executed them)
    result = lines.payouts_import_camt(xml=camt053_collective(sent))
    assert sorted(result.confirmed) == sorted(str(n.number) for n in notes[1:])
    assert in_transit(platform) == 0
    assert_ledger_sound()
