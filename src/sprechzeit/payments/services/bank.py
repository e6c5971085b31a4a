"""Bank statements: importing a CAMT.053 or MT940 file (read by `payments.bankfiles`)
for top-ups by transfer and returned debits.

Each entry is stored once per bank account under a stable key (the bank's reference
where it gives one), so importing a statement twice, or two statements that overlap,
books nothing twice. Credits are matched to a client by the RF creditor reference and
credited as a bank-transfer payment; entries with no or several matches wait in the
review queue. Return debits (a reason code such as MD06, AM04, MS03) find the original
payment by its end-to-end id and follow the chargeback path.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Final

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from stdnum import iso11649

from sprechzeit.accounts.models import ClientAccount
from sprechzeit.core import clock
from sprechzeit.core.errors import DomainError
from sprechzeit.core.money import Money
from sprechzeit.payments import errors
from sprechzeit.payments.bankfiles import ParsedEntry, ParsedStatement, statement_parse
from sprechzeit.payments.models import (
    BankEntry,
    BankEntryStatus,
    BankStatement,
    Channel,
    Payment,
    ProviderConfig,
    TransferReference,
)
from sprechzeit.payments.outcomes import EntryOutcome
from sprechzeit.payments.providers.base import PaymentUpdate, UpdateKind
from sprechzeit.payments.services.bookings import payment_chargeback
from sprechzeit.payments.services.payments import payment_apply

_RF: Final = re.compile(r"(?=(RF\d{2}(?:\s?[0-9A-Z]){1,21}))")
# What a payments-only import notes on an outgoing entry; the one bank import looks for it.
OUTGOING_NOTE: Final = "outgoing (payouts are reconciled elsewhere)"


@dataclass(frozen=True, slots=True)
class ImportResult:
    statement_id: int
    duplicate_file: bool
    new: int
    known: int
    credited: int
    returned: int
    review: int


# --- matching and booking ---------------------------------------------------------------


def _references_in(*, structured: str, remittance: str) -> set[str]:
    """Valid RF references of ours found in the structured field or the free text."""
    candidates: list[str] = []
    if structured:
        candidates.append("".join(structured.split()).upper())
    for match in _RF.finditer(remittance.upper()):
        compact = "".join(match.group(1).split())
        # Free text glues words on; the longest valid prefix is the reference.
        candidates.extend(compact[:end] for end in range(len(compact), 4, -1))
    valid = [c for c in candidates if iso11649.is_valid(c)]
    return set(
        TransferReference.objects.filter(reference__in=valid).values_list("reference", flat=True)
    )


def entry_store(
    *, config: ProviderConfig, statement: BankStatement, parsed: ParsedEntry
) -> BankEntry | None:
    """Store one entry of `statement` for review; None when its key was seen before (the
    same file twice, or overlapping statements): then nothing may be booked for it."""
    try:
        with transaction.atomic():
            return BankEntry.objects.create(
                statement=statement,
                provider_config=config,
                entry_key=parsed.key[:200],
                booking_date=parsed.booking_date,
                amount_minor=parsed.amount_minor,
                currency=parsed.currency,
                credit=parsed.credit,
                reference=parsed.structured_reference[:200],
                remittance=parsed.remittance,
                end_to_end_id=parsed.end_to_end_id[:200],
                counterparty_name=parsed.counterparty_name[:200],
                counterparty_iban=parsed.counterparty_iban[:34],
                return_reason=parsed.return_reason[:8],
                status=BankEntryStatus.REVIEW,
            )
    except IntegrityError:  # seen before (same file twice, or overlapping statements)
        return None


def _credit_entry(entry: BankEntry, client_account: ClientAccount) -> None:
    config = entry.provider_config
    if (
        entry.currency != client_account.platform.currency
        or config.platform_id != client_account.platform_id
    ):
        raise errors.PaymentError("Currency or platform do not match.")
    amount = Money(int(entry.amount_minor), entry.currency)
    now = clock.now()
    payment, _created = Payment.objects.get_or_create(
        provider_config=config,
        external_id=f"bank:{entry.entry_key}"[:200],
        defaults={
            "platform": client_account.platform,
            "client_account": client_account,
            "channel": Channel.BANK_TRANSFER,
            "amount_minor": amount.minor,
            "currency": amount.currency,
            "fingerprint": f"iban:{entry.counterparty_iban}" if entry.counterparty_iban else "",
            "created_at": now,
            "updated_at": now,
        },
    )
    payment_apply(
        payment_id=payment.pk, update=PaymentUpdate(kind=UpdateKind.SUCCEEDED, amount=amount)
    )
    entry.client_account = client_account
    entry.payment = payment
    entry.status = BankEntryStatus.CREDITED
    entry.note = ""
    entry.save(update_fields=["client_account", "payment", "status", "note"])


def _is_return(parsed: BankEntry) -> bool:
    return not parsed.credit and bool(parsed.return_reason)


def _to_review(entry: BankEntry, note: str) -> EntryOutcome:
    entry.note = note[:300]
    entry.save(update_fields=["note"])
    return EntryOutcome.REVIEW


def entry_process(*, entry: BankEntry, outgoing_to_review: bool = False) -> EntryOutcome:
    """Book a stored entry as a top-up (credit with one RF reference of ours) or a
    returned debit (return reason + our end-to-end id); anything else waits for review.
    Outgoing transfers are ignored here (payouts reconcile them) unless
    `outgoing_to_review`: the one bank import (`payouts.bank`) offered them to payouts
    first, so an outgoing entry left over is one nobody knows. Caller holds the
    transaction."""
    if entry.credit:
        return _entry_credit(entry)
    if _is_return(entry):
        return _entry_return(entry)
    if outgoing_to_review:
        return _to_review(entry, "outgoing: matches no payout")
    entry.status = BankEntryStatus.IGNORED
    entry.note = OUTGOING_NOTE
    entry.save(update_fields=["status", "note"])
    return EntryOutcome.IGNORED


def _entry_credit(entry: BankEntry) -> EntryOutcome:
    """A credit: a top-up when it names exactly one of our transfer references."""
    references = _references_in(structured=entry.reference, remittance=entry.remittance)
    if len(references) != 1:
        return _to_review(entry, "no reference of ours" if not references else "several references")
    reference = TransferReference.objects.select_related("client_account__platform").get(
        reference=references.pop()
    )
    try:
        with transaction.atomic():
            _credit_entry(entry, reference.client_account)
    except DomainError as exc:
        return _to_review(entry, str(exc.message))
    return EntryOutcome.CREDITED


def _entry_return(entry: BankEntry) -> EntryOutcome:
    """A returned debit: the chargeback path of the payment its end-to-end id names."""
    payment = None
    if entry.end_to_end_id:
        payment = (
            Payment.objects.filter(provider_config__platform=entry.provider_config.platform)
            .filter(external_id=entry.end_to_end_id)
            .first()
            or Payment.objects.filter(
                provider_config__platform=entry.provider_config.platform,
                external_ref=entry.end_to_end_id,
            ).first()
        )
    if payment is None:
        return _to_review(entry, "return debit: original payment not found")
    if entry.currency != payment.currency:
        return _to_review(entry, "return debit: currency differs from the payment")
    try:
        payment_chargeback(
            payment=payment,
            dispute_id=f"return:{entry.entry_key}",
            amount=Money(int(entry.amount_minor), entry.currency),
            reason=entry.return_reason,
        )
    except DomainError as exc:
        return _to_review(entry, str(exc.message))
    entry.payment = payment
    entry.client_account = payment.client_account
    entry.status = BankEntryStatus.RETURNED
    entry.save(update_fields=["payment", "client_account", "status"])
    return EntryOutcome.RETURNED


def statement_store(
    *, config: ProviderConfig, file_name: str, content: bytes, parsed: ParsedStatement
) -> tuple[BankStatement, bool]:
    """The file, stored once per bank account by its hash; True when it was already."""
    if config.kind != "bank_transfer":
        raise errors.StatementInvalid(
            _("Kontoauszüge gehören zu einer Banküberweisungs-Konfiguration.")
        )
    digest = hashlib.sha256(content).hexdigest()
    try:
        with transaction.atomic():
            statement = BankStatement.objects.create(
                provider_config=config,
                file_name=file_name[:255],
                format=parsed.format,
                sha256=digest,
                content=content,
                statement_id=parsed.statement_id[:200],
                imported_at=clock.now(),
            )
    except IntegrityError:
        return BankStatement.objects.get(provider_config=config, sha256=digest), True
    return statement, False


def statement_import(*, config: ProviderConfig, file_name: str, content: bytes) -> ImportResult:
    """Read a CAMT.053 or MT940 file and book its top-ups and returned debits, once.
    Raises `StatementInvalid` for a file that is neither (or is truncated): nothing is
    stored. Payouts in the same file are booked by the one bank import
    (`payouts.bank.bank_statement_import`), which uses this module's parts."""
    if config.kind != "bank_transfer":
        raise errors.StatementInvalid(
            _("Kontoauszüge gehören zu einer Banküberweisungs-Konfiguration.")
        )
    parsed = statement_parse(content)
    statement, duplicate = statement_store(
        config=config, file_name=file_name, content=content, parsed=parsed
    )
    if duplicate:
        return ImportResult(int(statement.pk), True, 0, len(parsed.entries), 0, 0, 0)
    counts = dict.fromkeys(EntryOutcome, 0)
    new = known = 0
    for item in parsed.entries:
        entry = entry_store(config=config, statement=statement, parsed=item)
        if entry is None:
            known += 1
            continue
        new += 1
        counts[entry_process(entry=entry)] += 1
    return ImportResult(
        int(statement.pk),
        False,
        new,
        known,
        counts[EntryOutcome.CREDITED],
        counts[EntryOutcome.RETURNED],
        counts[EntryOutcome.REVIEW],
    )


def entry_assign(*, entry: BankEntry, customer_number: str) -> BankEntry:
    """Staff resolve a review entry: credit it to the client with this customer number."""
    if entry.status != BankEntryStatus.REVIEW or not entry.credit:
        raise errors.PaymentError("Only incoming entries waiting for review can be assigned.")
    account = ClientAccount.objects.filter(
        platform=entry.provider_config.platform, customer_number=customer_number.strip()
    ).first()
    if account is None:
        raise errors.PaymentError("No client with this customer number on the platform.")
    with transaction.atomic():
        _credit_entry(entry, account)
    return entry
