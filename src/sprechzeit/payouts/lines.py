"""Bank lines for payouts: a camt.053 statement or camt.054 notification (read by
`payments.bankfiles`) confirms or returns payouts, each line once.

- A debit with our end-to-end id and amount confirms that payout (in transit → bank).
- A collective entry ("Sammlerbuchung", `NtryDtls/Btch` without `TxDtls`: the file's
  `BtchBookg=true` asks for it) names the run by `MsgId`/`PmtInfId`: when its amount (and
  count, if given) equals the run's payouts the bank executed (all but those a pain.002
  rejected), every one still in transit is confirmed.
- A camt.054 breaking a collective entry down has one line per payout: a payout the
  collective entry confirmed is `KNOWN` (nothing booked), and a collective entry whose
  payouts were all confirmed by their details is `KNOWN` too.
- A line with a return reason (RtrInf, e.g. AC04, AM04, MD07) returns the payout (→ the
  partner's payable, partner blocked until the IBAN is changed; `settle`).
- Anything else is `UNMATCHED` and books nothing.

`payouts.bank` is the one import that routes a whole statement to payments and payouts;
`payouts_import_camt` is the payouts-only path.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction

from sprechzeit.core import clock
from sprechzeit.payments.bankfiles import ParsedEntry, parse_camt053
from sprechzeit.payments.errors import StatementInvalid
from sprechzeit.payouts import errors
from sprechzeit.payouts.models import BankLine, Payout, PayoutRun
from sprechzeit.payouts.settle import payout_confirm, payout_return

PAIN002_KEY = "pain002:"  # bank lines of rejections (pain.002), see `status_report`


@dataclass(frozen=True, slots=True)
class CamtLine:
    key: str
    # The statement's own account: it names the paying entity (numbers repeat across
    # entities). Empty when the file does not say.
    account_iban: str
    end_to_end_id: str
    amount_minor: int
    credit: bool
    reason_code: str
    # A collective entry: the run's MsgId / PmtInfId and the number of transactions.
    batch_message_id: str = ""
    batch_payment_info_id: str = ""
    batch_count: int = 0

    @property
    def is_batch(self) -> bool:
        return bool(self.batch_message_id or self.batch_payment_info_id)

    @property
    def label(self) -> str:
        """How results name the line: end-to-end id, the batch's ids, or the key."""
        if self.end_to_end_id:
            return self.end_to_end_id
        if self.is_batch:
            return self.batch_payment_info_id or self.batch_message_id
        return self.key


@dataclass(frozen=True, slots=True)
class Applied:
    outcome: BankLine.Outcome
    payout: Payout | None = None
    run: PayoutRun | None = None
    # The payouts this line confirmed or returned now (end-to-end ids).
    settled: tuple[str, ...] = ()


@dataclass
class ImportResult:
    confirmed: list[str] = field(default_factory=list)
    returned: list[str] = field(default_factory=list)
    unmatched: list[str] = field(default_factory=list)
    known: list[str] = field(default_factory=list)
    repeated: int = 0


def camt_line(entry: ParsedEntry) -> CamtLine:
    """A payout's view of a parsed bank entry (same key as the payments import's)."""
    return CamtLine(
        key=entry.key,
        account_iban=entry.account,
        end_to_end_id=entry.end_to_end_id,
        amount_minor=entry.amount_minor,
        credit=entry.credit,
        reason_code=entry.return_reason,
        batch_message_id=entry.batch_message_id,
        batch_payment_info_id=entry.batch_payment_info_id,
        batch_count=entry.batch_count,
    )


def camt_lines(xml: bytes) -> list[CamtLine]:
    """The booked transactions of a camt.053 or camt.054 (any version), read by the one
    parser of `payments.bankfiles`."""
    try:
        _statement_id, entries = parse_camt053(xml)
    except StatementInvalid as exc:
        raise errors.BankStatementInvalid() from exc
    return [camt_line(entry) for entry in entries]


def payouts_import_camt(*, xml: bytes) -> ImportResult:
    """Confirm or return payouts from a camt.053/054 (see the module); each line once (a
    repeated import changes nothing). Lines that match no payout are recorded as
    unmatched, nothing booked."""
    result = ImportResult()
    for line in camt_lines(xml):
        with transaction.atomic():
            if BankLine.objects.filter(key=line.key[:200]).exists():
                result.repeated += 1
                continue
            applied = bank_line_apply(line)
            bank_line_record(line, applied)
            if applied.outcome == BankLine.Outcome.CONFIRMED:
                result.confirmed.extend(applied.settled)
            elif applied.outcome == BankLine.Outcome.RETURNED:
                result.returned.extend(applied.settled)
            elif applied.outcome == BankLine.Outcome.KNOWN:
                result.known.append(line.label)
            else:
                result.unmatched.append(line.label)
    return result


def bank_line_record(line: CamtLine, applied: Applied) -> None:
    """Remember a line under its key, so it is applied once. Caller holds the transaction."""
    BankLine.objects.create(
        key=line.key[:200],
        end_to_end_id=line.end_to_end_id[:35],
        amount_minor=line.amount_minor,
        credit=line.credit,
        reason_code=line.reason_code[:10],
        payout=applied.payout,
        run=applied.run,
        outcome=applied.outcome,
        imported_at=clock.now(),
    )


def bank_line_apply(line: CamtLine) -> Applied:
    """Confirm or return what a bank line names: one payout (end-to-end id and amount, on
    the paying entity's account) or a run (collective entry). UNMATCHED books nothing.
    Locks the rows it changes. Caller holds the transaction and records the line
    (`bank_line_record`)."""
    if line.is_batch and not line.end_to_end_id:
        return _batch_apply(line)
    if not line.end_to_end_id:
        return Applied(BankLine.Outcome.UNMATCHED)
    candidates = Payout.objects.filter(
        end_to_end_id=line.end_to_end_id,
        amount_minor=line.amount_minor,
        status__in=[Payout.Status.IN_TRANSIT, Payout.Status.CONFIRMED],
    )
    if line.account_iban:
        candidates = candidates.filter(legal_entity__iban=line.account_iban)
    payout = (
        candidates.select_for_update(of=("self",))
        .select_related("run__legal_entity", "partner")
        .order_by("-created_at")
        .first()
    )
    if payout is None:
        return Applied(BankLine.Outcome.UNMATCHED)
    if line.reason_code:
        payout_return(payout=payout, reason_code=line.reason_code)
        return Applied(BankLine.Outcome.RETURNED, payout, settled=(payout.end_to_end_id,))
    if line.credit:
        return Applied(BankLine.Outcome.UNMATCHED)
    if payout.status == Payout.Status.CONFIRMED:
        # The detail of a collective entry that confirmed it; any other second debit is
        # for staff to look at.
        collective = BankLine.objects.filter(
            run=payout.run, outcome=BankLine.Outcome.CONFIRMED, payout__isnull=True
        ).exists()
        outcome = BankLine.Outcome.KNOWN if collective else BankLine.Outcome.UNMATCHED
        return Applied(outcome, payout if collective else None)
    payout_confirm(payout=payout)
    return Applied(BankLine.Outcome.CONFIRMED, payout, settled=(payout.end_to_end_id,))


def _batch_apply(line: CamtLine) -> Applied:
    """A collective debit: the run it names by MsgId/PmtInfId, when amount and count
    equal the payouts the bank executed (all but those a pain.002 rejected)."""
    runs = PayoutRun.objects.all()
    if line.batch_message_id:
        runs = runs.filter(message_id=line.batch_message_id)
    if line.batch_payment_info_id:
        runs = runs.filter(payment_info_id=line.batch_payment_info_id)
    if line.account_iban:
        runs = runs.filter(legal_entity__iban=line.account_iban)
    run = runs.select_for_update(of=("self",)).order_by("pk").first()
    if run is None or line.credit:
        return Applied(BankLine.Outcome.UNMATCHED)
    rejected = BankLine.objects.filter(
        key__startswith=PAIN002_KEY, outcome=BankLine.Outcome.RETURNED, payout__run=run
    ).values("payout")
    executed = list(
        run.payouts.select_for_update(of=("self",))
        .exclude(pk__in=rejected)
        .select_related("run__legal_entity", "partner")
        .order_by("pk")
    )
    total = sum(int(payout.amount_minor) for payout in executed)
    if total != line.amount_minor or (line.batch_count and line.batch_count != len(executed)):
        return Applied(BankLine.Outcome.UNMATCHED)
    waiting = [payout for payout in executed if payout.status == Payout.Status.IN_TRANSIT]
    if not waiting:
        return Applied(BankLine.Outcome.KNOWN, run=run)
    for payout in waiting:
        payout_confirm(payout=payout)
    return Applied(
        BankLine.Outcome.CONFIRMED,
        run=run,
        settled=tuple(payout.end_to_end_id for payout in waiting),
    )
