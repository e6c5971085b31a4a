"""pain.002: the bank rejects payouts before executing them; each rejected payout goes
back to the partner's payable once and blocks the partner until the IBAN is fixed."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.management import call_command

from sprechzeit.core import clock
from sprechzeit.ledger.models import AccountPurpose
from sprechzeit.ledger.selectors import account_balance
from sprechzeit.ledger.tests.helpers import assert_ledger_sound
from sprechzeit.payments.models import BankEntry, BankStatement
from sprechzeit.payouts import errors, lines, services
from sprechzeit.payouts.bank import bank_statement_import
from sprechzeit.payouts.models import BankLine, Payout, PayoutRun
from sprechzeit.payouts.status_report import payouts_import_status_report
from sprechzeit.payouts.tests.bank_answers import written
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
from sprechzeit.platforms.models import Platform
from sprechzeit.statements.models import PartnerTaxProfile, Statement
from sprechzeit.statements.services import entity_account
from sprechzeit.statements.vat import VatStatus
from sprechzeit.wallets import services as wallets

pytestmark = pytest.mark.django_db


def payable(partner: object) -> int:
    account = wallets.partner_payable_account(partner=partner, currency="EUR")  # type: ignore[arg-type]
    return account_balance(account=account).posted.minor


def pain002(
    run: PayoutRun | str,
    transactions: list[tuple[str, str, str]],
    *,
    report_id: str = "RPT-1",
    group: str = "PART",
    block: str = "PART",
) -> bytes:
    """A pain.002.001.10 answering the file `run` wrote (its MsgId and PmtInfId, read
    from the file; a plain string for a file that is not ours): (end-to-end id, TxSts,
    reason) per transaction."""
    if isinstance(run, str):
        run_id, block_id = run, f"{run}-1"
    else:
        sent = written(bytes(run.file or b""))
        run_id, block_id = sent.message_id, sent.payment_info_id
    details = "".join(
        f"<TxInfAndSts><StsId>S{n}</StsId><OrgnlEndToEndId>{e2e}</OrgnlEndToEndId>"
        f"<TxSts>{status}</TxSts>"
        + (f"<StsRsnInf><Rsn><Cd>{reason}</Cd></Rsn></StsRsnInf>" if reason else "")
        + "</TxInfAndSts>"
        for n, (e2e, status, reason) in enumerate(transactions)
    )
    blocks = (
        f"<OrgnlPmtInfAndSts><OrgnlPmtInfId>{block_id}</OrgnlPmtInfId>"
        f"<PmtInfSts>{block}</PmtInfSts>{details}</OrgnlPmtInfAndSts>"
        if transactions or block != "PART"
        else ""
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.10"><CstmrPmtStsRpt>
<GrpHdr><MsgId>{report_id}</MsgId><CreDtTm>2026-11-04T08:00:00+01:00</CreDtTm></GrpHdr>
<OrgnlGrpInfAndSts><OrgnlMsgId>{run_id}</OrgnlMsgId><OrgnlMsgNmId>pain.001.001.09</OrgnlMsgNmId>
<GrpSts>{group}</GrpSts></OrgnlGrpInfAndSts>{blocks}</CstmrPmtStsRpt></Document>""".encode()


def paid_pair() -> tuple[Platform, PayoutRun, Statement, Statement]:
    platform = paying_platform()
    scenes = [busy_scene(platform=platform), busy_scene(platform=platform)]
    for s in scenes:
        tax_profile(s.partner, VatStatus.REGULAR)
        settled(s, seconds=3600, when=at(2026, 10, 10))
    close_month()
    with clock.frozen_at(at(2026, 11, 3)):
        run = services.payout_run_create(legal_entity=platform.legal_entity)
    first, second = (Statement.objects.get(partner=s.partner) for s in scenes)
    return platform, run, first, second


def test_rejected_transaction_returns_that_payout_once(tmp_path: Path) -> None:
    platform, run, accepted, rejected = paid_pair()
    report = pain002(
        run,
        [(str(accepted.number), "ACCP", ""), (str(rejected.number), "RJCT", "AC04")],
    )
    path = tmp_path / "pain002.xml"
    path.write_bytes(report)
    out = io.StringIO()
    call_command("bank", "import", str(path), stdout=out)
    assert "payouts confirmed 0, returned 1" in out.getvalue()
    payouts = dict(Payout.objects.values_list("end_to_end_id", "status"))
    assert payouts == {
        accepted.number: Payout.Status.IN_TRANSIT,  # the camt.053 confirms it later
        rejected.number: Payout.Status.RETURNED,
    }
    assert payable(rejected.partner) == rejected.gross_minor
    assert payable(accepted.partner) == 0
    profile = PartnerTaxProfile.objects.get(partner=rejected.partner)
    assert profile.payout_blocked_reason.startswith("Ablehnung durch die Bank (AC04)")
    assert profile.iban_verified_at is None
    # the same report again: nothing more; no bank statement or review entry either
    again = bank_statement_import(content=report, file_name="pain002.xml")
    assert (again.payouts_returned, again.known, again.duplicate_file) == ([], 1, True)
    assert BankLine.objects.filter(outcome=BankLine.Outcome.RETURNED).count() == 1
    assert not BankStatement.objects.exists()
    assert not BankEntry.objects.exists()
    # the accepted one executes; the camt.053 confirms it; in transit is empty again
    lines.payouts_import_camt(xml=camt([Line(str(accepted.number), accepted.gross_minor)]))
    in_transit = entity_account(
        legal_entity=platform.legal_entity, purpose=AccountPurpose.PAYOUT_IN_TRANSIT
    )
    assert account_balance(account=in_transit).posted.minor == 0
    # the next run skips the blocked partner with the reason
    with clock.frozen_at(at(2026, 11, 5)), pytest.raises(errors.NothingToPay) as caught:
        services.payout_run_create(legal_entity=platform.legal_entity)
    assert "Ablehnung durch die Bank (AC04)" in caught.value.fields["skipped"][0]["reason"]
    assert_ledger_sound()


def test_a_rejected_file_returns_every_payout_and_unknown_runs_book_nothing() -> None:
    _platform, run, first, second = paid_pair()
    unknown = payouts_import_status_report(
        xml=pain002("PO-NOT-OURS", [("GS-2026-000001", "RJCT", "AC01")], report_id="R0")
    )
    assert unknown.unmatched == ["PO-NOT-OURS/GS-2026-000001"]
    assert Payout.objects.filter(status=Payout.Status.IN_TRANSIT).count() == 2
    whole = payouts_import_status_report(
        xml=pain002(run, [], report_id="R1", group="RJCT", block="PART")
    )
    assert sorted(whole.returned) == sorted([str(first.number), str(second.number)])
    assert payable(first.partner) == first.gross_minor
    assert payable(second.partner) == second.gross_minor
    # a later report rejecting them again books nothing
    later = payouts_import_status_report(
        xml=pain002(run, [(str(first.number), "RJCT", "AM05")], report_id="R2")
    )
    assert (later.returned, later.unmatched) == ([], [first.number])
    assert_ledger_sound()


@pytest.mark.parametrize(
    "content",
    [
        b"<Document xmlns='urn:iso:std:iso:20022:tech:xsd:pain.002.001.10'/>",
        b"<Document xmlns='urn:iso:std:iso:20022:tech:xsd:pain.002.001.10'><CstmrPmtStsRpt>"
        b"<GrpHdr><MsgId>X</MsgId></GrpHdr></CstmrPmtStsRpt></Document>",
        b"<Document xmlns='urn:iso:std:iso:20022:tech:xsd:pain.002.001.10'><CstmrPmtStsRpt",
    ],
)
def test_broken_status_reports_are_refused(content: bytes) -> None:
    with pytest.raises(errors.BankStatementInvalid):
        bank_statement_import(content=content, file_name="x.xml")
    assert not BankLine.objects.exists()
