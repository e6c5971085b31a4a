"""pain.002 (Customer Payment Status Report): the bank's answer to a payout file before
it executes. A rejected transaction (TxSts RJCT), or a rejected payment block
(PmtInfSts RJCT) or whole file (GrpSts RJCT) without transaction details, rejects the
payouts it names; each takes the return path of a camt.053 return
(`settle.payout_return`: payout in transit → partner payable, partner blocked until
the IBAN is fixed). Accepted or pending statuses change nothing: the camt.053 confirms
the execution.

Matched by the original message id (= the file's `MsgId` = `PayoutRun.message_id`, which
names the paying entity), the original payment information id where the report gives
one (= the file's `PmtInfId` = `PayoutRun.payment_info_id`) and end-to-end id (= credit
note number). Each rejection is remembered as a
`BankLine` (key `pain002:<report>:<run>:<end-to-end id>`), so a report imported twice
books nothing twice. There is no pain.002 XSD in the compliance samples; the structure is
checked here (root, group header, original message id) and anything else is refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from django.db import transaction
from django.utils.translation import gettext as _

from sprechzeit.core.xml import XmlUnreadable, xml_children, xml_parse_untrusted, xml_text
from sprechzeit.payouts import errors
from sprechzeit.payouts.lines import PAIN002_KEY, Applied, CamtLine, ImportResult, bank_line_record
from sprechzeit.payouts.models import BankLine, Payout
from sprechzeit.payouts.settle import payout_return

PAIN002_NAMESPACE: Final = "urn:iso:std:iso:20022:tech:xsd:pain.002."
REJECTED: Final = "RJCT"
WHOLE_BLOCK: Final = "*"


@dataclass(frozen=True, slots=True)
class Rejection:
    report_id: str
    run_message_id: str
    end_to_end_id: str  # WHOLE_BLOCK: every payout of the run
    reason_code: str
    payment_info_id: str = ""  # the block's OrgnlPmtInfId, when the report names it


def is_status_report(content: bytes) -> bool:
    return PAIN002_NAMESPACE.encode() in content[:1000]


def status_report_rejections(content: bytes) -> list[Rejection]:
    """The rejections a pain.002 (any version) reports. Raises `BankStatementInvalid`
    for anything that is not a readable status report."""
    try:
        root, namespace, local = xml_parse_untrusted(content)
    except XmlUnreadable as exc:
        raise errors.BankStatementInvalid(
            _("pain.002: kein wohlgeformtes XML: %(detail)s") % {"detail": exc}
        ) from exc
    reports = xml_children(root, "CstmrPmtStsRpt")
    if local != "Document" or not namespace.startswith(PAIN002_NAMESPACE):
        raise errors.BankStatementInvalid(_("Kein pain.002-Statusbericht."))
    if len(reports) != 1:
        raise errors.BankStatementInvalid(_("pain.002 ohne CstmrPmtStsRpt."))
    report = reports[0]
    report_id = xml_text(report, "GrpHdr/MsgId")
    groups = xml_children(report, "OrgnlGrpInfAndSts")
    if not report_id or len(groups) != 1 or not xml_text(groups[0], "OrgnlMsgId"):
        raise errors.BankStatementInvalid(
            _("pain.002 ohne eigene oder ursprüngliche Nachrichten-ID.")
        )
    run_id = xml_text(groups[0], "OrgnlMsgId")
    group_status = xml_text(groups[0], "GrpSts")
    group_reason = xml_text(groups[0], "StsRsnInf/Rsn/Cd")
    found: list[Rejection] = []
    blocks = xml_children(report, "OrgnlPmtInfAndSts")
    for block in blocks:
        block_status = xml_text(block, "PmtInfSts") or group_status
        block_reason = xml_text(block, "StsRsnInf/Rsn/Cd") or group_reason
        block_id = xml_text(block, "OrgnlPmtInfId")
        transactions = xml_children(block, "TxInfAndSts")
        for detail in transactions:
            status = xml_text(detail, "TxSts") or block_status
            end_to_end_id = xml_text(detail, "OrgnlEndToEndId")
            if status == REJECTED and end_to_end_id:
                reason = xml_text(detail, "StsRsnInf/Rsn/Cd") or block_reason or REJECTED
                found.append(Rejection(report_id, run_id, end_to_end_id, reason, block_id))
        if not transactions and block_status == REJECTED:
            found.append(
                Rejection(report_id, run_id, WHOLE_BLOCK, block_reason or REJECTED, block_id)
            )
    if not blocks and group_status == REJECTED:
        found.append(Rejection(report_id, run_id, WHOLE_BLOCK, group_reason or REJECTED))
    return found


def payouts_import_status_report(*, xml: bytes) -> ImportResult:
    """Reject the payouts a pain.002 names (see the module); each once. Rejections that
    match no payout in transit are listed as unmatched and book nothing."""
    result = ImportResult()
    for rejection in status_report_rejections(xml):
        with transaction.atomic():
            payouts = Payout.objects.select_for_update(of=("self",)).filter(
                run__message_id=rejection.run_message_id
            )
            if rejection.payment_info_id:
                payouts = payouts.filter(run__payment_info_id=rejection.payment_info_id)
            if rejection.end_to_end_id != WHOLE_BLOCK:
                payouts = payouts.filter(end_to_end_id=rejection.end_to_end_id)
            matched = list(payouts.select_related("run__legal_entity", "partner").order_by("pk"))
            if not matched:
                _unmatched(rejection, rejection.end_to_end_id, result)
            for payout in matched:
                _reject(rejection, payout, result)
    return result


def _line(rejection: Rejection, end_to_end_id: str, amount_minor: int) -> CamtLine:
    return CamtLine(
        key=f"{PAIN002_KEY}{rejection.report_id}:{rejection.run_message_id}:{end_to_end_id}",
        account_iban="",
        end_to_end_id=end_to_end_id,
        amount_minor=amount_minor,
        credit=False,
        reason_code=rejection.reason_code,
    )


def _unmatched(rejection: Rejection, end_to_end_id: str, result: ImportResult) -> None:
    line = _line(rejection, end_to_end_id, 0)
    if BankLine.objects.filter(key=line.key[:200]).exists():
        result.repeated += 1
        return
    bank_line_record(line, Applied(BankLine.Outcome.UNMATCHED))
    result.unmatched.append(f"{rejection.run_message_id}/{end_to_end_id}")


def _reject(rejection: Rejection, payout: Payout, result: ImportResult) -> None:
    """Caller holds the transaction and the payout's row lock."""
    line = _line(rejection, payout.end_to_end_id, int(payout.amount_minor))
    if BankLine.objects.filter(key=line.key[:200]).exists():
        result.repeated += 1
        return
    if payout.status != Payout.Status.IN_TRANSIT:
        # Executed or returned already: a rejection now contradicts the bank's books.
        bank_line_record(line, Applied(BankLine.Outcome.UNMATCHED, payout))
        result.unmatched.append(payout.end_to_end_id)
        return
    payout_return(payout=payout, reason_code=rejection.reason_code, rejected=True)
    bank_line_record(line, Applied(BankLine.Outcome.RETURNED, payout))
    result.returned.append(payout.end_to_end_id)
