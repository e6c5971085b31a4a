"""The one bank statement import: a CAMT.053, CAMT.054 or MT940 file of an operator account (or a
pain.002 status report, see `status_report`) is read once (`payments.bankfiles`) and
every entry goes where it belongs:

1. a payout confirmation or return (our end-to-end id and amount on the paying entity's
   account, or a collective entry naming a run by MsgId/PmtInfId) →
   `payouts.lines.bank_line_apply` (entry status "payout");
2. else a top-up by transfer (RF reference) or a returned direct debit →
   `payments.services.bank.entry_process`;
3. else the payments review queue, once (an outgoing entry nobody knows included).

Nothing is booked twice: the file is stored once per bank account (hash), each entry
once per bank account (key), each payout line once (`BankLine.key`, the same key), and
each entry is stored and routed in one transaction, so a crash leaves nothing half
done and the rerun routes what is left. An earlier upload through the payments-only or
payouts-only path is recognised: its payout lines are not booked again, and outgoing
entries the payments-only path left aside are offered to payouts now.

Lives in payouts because it calls both: payouts sits above payments in the layers.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction
from django.utils.translation import gettext as _

from sprechzeit.payments.bankfiles import ParsedEntry, statement_parse
from sprechzeit.payments.models import (
    BankEntry,
    BankEntryStatus,
    BankStatement,
    ProviderConfig,
    ProviderKind,
)
from sprechzeit.payments.outcomes import EntryOutcome
from sprechzeit.payments.services import bank as payments_bank
from sprechzeit.payouts import errors
from sprechzeit.payouts.lines import bank_line_apply, bank_line_record, camt_line
from sprechzeit.payouts.models import BankLine
from sprechzeit.payouts.status_report import is_status_report, payouts_import_status_report
from sprechzeit.platforms.models import LegalEntity


@dataclass
class BankImportResult:
    statement_id: int | None  # None for a pain.002 (no account statement)
    duplicate_file: bool
    new: int = 0
    known: int = 0
    topups_credited: int = 0
    topups_returned: int = 0
    payouts_confirmed: list[str] = field(default_factory=list)
    payouts_returned: list[str] = field(default_factory=list)
    review: int = 0
    # pain.002 rejections that name no payout in transit (payouts' bank lines, unmatched)
    payouts_unmatched: list[str] = field(default_factory=list)


def _compact(iban: str) -> str:
    return "".join(iban.split()).upper()


def bank_account_config(*, accounts: set[str]) -> ProviderConfig:
    """The bank-transfer configuration of the account a statement belongs to: the
    platform whose entity's IBAN it is. Raises `BankAccountUnknown` when the file names
    no account, one we do not have, or one several platforms' configurations share."""
    ibans = {_compact(account) for account in accounts if account}
    if len(ibans) != 1:
        raise errors.BankAccountUnknown(accounts=sorted(ibans))
    (iban,) = ibans
    entity_ids = [
        entity.pk for entity in LegalEntity.objects.all() if _compact(entity.iban) == iban
    ]
    configs = list(
        ProviderConfig.objects.filter(
            kind=ProviderKind.BANK_TRANSFER,
            is_active=True,
            platform__legal_entity_id__in=entity_ids,
        ).order_by("pk")
    )
    if len(configs) != 1:
        raise errors.BankAccountUnknown(
            _(
                "Für das Konto %(iban)s gibt es %(count)d Banküberweisungs-Konfigurationen; "
                "bitte die richtige auswählen."
            )
            % {"iban": iban, "count": len(configs)},
            accounts=[iban],
            configs=[config.pk for config in configs],
        )
    return configs[0]


def _check_account(config: ProviderConfig, entries: list[ParsedEntry]) -> None:
    """A statement of another account than the chosen one's is refused before anything
    is stored (its top-ups would land on the wrong platform)."""
    own = _compact(config.platform.legal_entity.iban)
    accounts = {_compact(entry.account) for entry in entries if entry.account}
    foreign = sorted(account for account in accounts if account != own)
    if own and foreign:
        raise errors.BankAccountMismatch(
            _("Der Kontoauszug gehört zu %(file)s, das gewählte Konto hat die IBAN %(own)s.")
            % {"file": ", ".join(foreign), "own": own},
            accounts=foreign,
            expected=own,
        )


def bank_statement_import(
    *, content: bytes, file_name: str, config: ProviderConfig | None = None
) -> BankImportResult:
    """Import one bank statement for top-ups, returned debits and payouts (see the
    module). Without `config` the account named in the file chooses it. Raises
    `payments.errors.StatementInvalid` for an unreadable file, `BankAccountUnknown` or
    `BankAccountMismatch` for the wrong account: nothing is stored then.

    A pain.002 status report (the bank rejecting payouts before execution) is accepted
    here too and goes the same return path (`payouts.status_report`)."""
    if is_status_report(content):
        report = payouts_import_status_report(xml=content)
        return BankImportResult(
            statement_id=None,
            duplicate_file=bool(report.repeated) and not (report.returned or report.unmatched),
            new=len(report.returned) + len(report.unmatched),
            known=report.repeated,
            payouts_returned=report.returned,
            payouts_unmatched=report.unmatched,
        )
    parsed = statement_parse(content)
    if config is None:
        config = bank_account_config(accounts={entry.account for entry in parsed.entries})
    _check_account(config, parsed.entries)
    statement, duplicate = payments_bank.statement_store(
        config=config, file_name=file_name, content=content, parsed=parsed
    )
    result = BankImportResult(statement_id=int(statement.pk), duplicate_file=duplicate)
    # A file imported before is walked again: entries are keyed, so only what a crash
    # left unrouted (or a payments-only upload left aside) is routed now.
    for item in parsed.entries:
        with transaction.atomic():
            _import_entry(config, statement, item, result)
    return result


def _import_entry(
    config: ProviderConfig,
    statement: BankStatement,
    item: ParsedEntry,
    result: BankImportResult,
) -> None:
    """Caller holds the transaction."""
    known: BankEntry | None = None
    entry = payments_bank.entry_store(config=config, statement=statement, parsed=item)
    if entry is None:
        known = (
            BankEntry.objects.select_for_update()
            .filter(provider_config=config, entry_key=item.key[:200])
            .first()
        )
        result.known += 1
        if known is None or not _left_for_payouts(known):
            return
        entry = known
    else:
        result.new += 1
    if _to_payouts(entry, item, result):
        return
    if known is not None:
        if known.status == BankEntryStatus.IGNORED:
            # Set aside by a payments-only upload for payouts, who do not know it either.
            known.status = BankEntryStatus.REVIEW
            known.note = "outgoing: matches no payout"
            known.save(update_fields=["status", "note"])
            result.review += 1
        return  # otherwise it stays as payments left it (in review already)
    outcome = payments_bank.entry_process(entry=entry, outgoing_to_review=True)
    if outcome == EntryOutcome.CREDITED:
        result.topups_credited += 1
    elif outcome == EntryOutcome.RETURNED:
        result.topups_returned += 1
    else:
        result.review += 1


def _left_for_payouts(entry: BankEntry) -> bool:
    """A known entry payouts may still claim: an outgoing one a payments-only upload set
    aside, or one waiting in review (a payout return arrives as an incoming credit)."""
    if entry.status == BankEntryStatus.IGNORED:
        return entry.note == payments_bank.OUTGOING_NOTE
    return entry.status == BankEntryStatus.REVIEW and entry.payment_id is None


def _to_payouts(entry: BankEntry, item: ParsedEntry, result: BankImportResult) -> bool:
    """Offer the entry to payouts; True when it is a payout line (booked now or before)."""
    line = camt_line(item)
    before = BankLine.objects.filter(key=line.key[:200]).first()
    if before is not None and before.outcome != BankLine.Outcome.UNMATCHED:
        _mark(entry, _("Auszahlung %(id)s: bereits verbucht") % {"id": line.label})
        return True
    if before is not None or not (line.end_to_end_id or line.is_batch):
        return False
    applied = bank_line_apply(line)
    if applied.outcome == BankLine.Outcome.UNMATCHED:
        return False
    bank_line_record(line, applied)
    if applied.outcome == BankLine.Outcome.CONFIRMED:
        result.payouts_confirmed.extend(applied.settled)
        _mark(entry, _("Auszahlung %(id)s: ausgeführt") % {"id": ", ".join(applied.settled)})
    elif applied.outcome == BankLine.Outcome.RETURNED:
        result.payouts_returned.extend(applied.settled)
        _mark(
            entry,
            _("Auszahlung %(id)s: zurückgekommen (%(reason)s)")
            % {"id": line.end_to_end_id, "reason": line.reason_code},
        )
    else:
        _mark(entry, _("Auszahlung %(id)s: bereits verbucht") % {"id": line.label})
    return True


def _mark(entry: BankEntry, note: str) -> None:
    entry.status = BankEntryStatus.PAYOUT
    entry.note = note[:300]
    entry.save(update_fields=["status", "note"])
