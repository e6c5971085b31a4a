"""Bank statements: CAMT.053 (own lxml parser) and MT940 (`mt-940`).

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
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, Final

import mt940
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from lxml import etree
from stdnum import iso11649

from sprechzeit.accounts.models import ClientAccount
from sprechzeit.core import clock
from sprechzeit.core.errors import DomainError
from sprechzeit.core.money import MINOR_UNITS, Money
from sprechzeit.core.xml import XmlUnreadable, xml_parse_untrusted
from sprechzeit.payments import errors
from sprechzeit.payments.models import (
    BankEntry,
    BankEntryStatus,
    BankStatement,
    Channel,
    Payment,
    ProviderConfig,
    TransferReference,
)
from sprechzeit.payments.providers.base import PaymentUpdate, UpdateKind
from sprechzeit.payments.services.payments import payment_apply, payment_chargeback

_CAMT_NS: Final = "urn:iso:std:iso:20022:tech:xsd:camt.053."
_RF: Final = re.compile(r"(?=(RF\d{2}(?:\s?[0-9A-Z]){1,21}))")
# What a payments-only import notes on an outgoing entry; the one bank import looks for it.
OUTGOING_NOTE: Final = "outgoing (payouts are reconciled elsewhere)"
# Return reasons that take a top-up back (SEPA R-transactions).
RETURN_SUBFAMILIES: Final = frozenset({"UPDD", "RRTN", "RCDD", "ARET"})


@dataclass(frozen=True, slots=True)
class ParsedEntry:
    key: str
    booking_date: date | None
    amount_minor: int
    currency: str
    credit: bool
    structured_reference: str
    remittance: str
    end_to_end_id: str
    counterparty_name: str
    counterparty_iban: str
    return_reason: str
    subfamily: str
    # The statement's own account (IBAN, or the bank's id for it): whose money moved.
    account: str = ""


@dataclass(frozen=True, slots=True)
class ParsedStatement:
    format: str  # "camt.053" or "mt940"
    statement_id: str
    entries: list[ParsedEntry]


@dataclass(frozen=True, slots=True)
class ImportResult:
    statement_id: int
    duplicate_file: bool
    new: int
    known: int
    credited: int
    returned: int
    review: int


# --- parsing ------------------------------------------------------------------------------


def _local(element: Any) -> str:
    return str(etree.QName(element).localname)


def _find(element: Any, path: str) -> Any:
    """First element along `path` (slash-separated local names), namespace-blind."""
    current = [element]
    for name in path.split("/"):
        current = [
            child
            for parent in current
            for child in parent
            if isinstance(child.tag, str) and _local(child) == name
        ]
        if not current:
            return None
    return current[0]


def _findall(element: Any, name: str) -> list[Any]:
    return [child for child in element if isinstance(child.tag, str) and _local(child) == name]


def _text(element: Any, path: str) -> str:
    found = _find(element, path)
    return "" if found is None or found.text is None else str(found.text).strip()


def _minor(value: Decimal, currency: str) -> int:
    """Minor units of `value`; currencies we do not book are read with two decimals and
    end up in the review queue."""
    scaled = value * (Decimal(10) ** MINOR_UNITS.get(currency, 2))
    if scaled != scaled.to_integral_value() or scaled < 0:
        raise errors.StatementInvalid(
            _("Der Betrag %(value)s passt nicht zur Währung %(currency)s.")
            % {"value": value, "currency": currency}
        )
    return int(scaled)


def _amount(element: Any) -> tuple[int, str]:
    if element is None or element.text is None:
        raise errors.StatementInvalid(_("Eine Buchung ohne Betrag."))
    currency = str(element.get("Ccy", "EUR"))
    try:
        return _minor(Decimal(element.text.strip()), currency), currency
    except InvalidOperation as exc:
        raise errors.StatementInvalid(_("Ein Betrag, der keine Zahl ist.")) from exc


def parse_camt053(content: bytes) -> tuple[str, list[ParsedEntry]]:
    """The statement id and its booked entries (one per transaction detail)."""
    try:
        root, namespace, local = xml_parse_untrusted(content)
    except XmlUnreadable as exc:
        raise errors.StatementInvalid(
            _("Kein wohlgeformtes XML: %(detail)s") % {"detail": exc}
        ) from exc
    statement_root = _find(root, "BkToCstmrStmt")
    if local != "Document" or not namespace.startswith(_CAMT_NS) or statement_root is None:
        raise errors.StatementInvalid(_("Kein camt.053-Dokument."))
    entries: list[ParsedEntry] = []
    statement_ids: list[str] = []
    for statement in _findall(statement_root, "Stmt"):
        statement_ids.append(_text(statement, "Id"))
        account = _text(statement, "Acct/Id/IBAN") or _text(statement, "Acct/Id/Othr/Id")
        for position, entry in enumerate(_findall(statement, "Ntry")):
            status = _text(entry, "Sts/Cd") or _text(entry, "Sts")
            if status and status != "BOOK":
                continue
            entries.extend(
                _camt_entry(
                    entry, account=account, position=position, statement_id=statement_ids[-1]
                )
            )
    return ",".join(statement_ids), entries


def _camt_entry(
    entry: Any, *, account: str, position: int, statement_id: str
) -> Iterator[ParsedEntry]:
    amount_minor, currency = _amount(_find(entry, "Amt"))
    credit = _text(entry, "CdtDbtInd") == "CRDT"
    booked = _text(entry, "BookgDt/Dt") or _text(entry, "BookgDt/DtTm")[:10]
    try:
        booking_date = date.fromisoformat(booked) if booked else None
    except ValueError:
        booking_date = None
    bank_ref = _text(entry, "AcctSvcrRef")
    subfamily = _text(entry, "BkTxCd/Domn/Fmly/SubFmlyCd")
    details = [tx for block in _findall(entry, "NtryDtls") for tx in _findall(block, "TxDtls")]
    if not details:
        details = [None]
    for index, tx in enumerate(details):
        source = tx if tx is not None else entry
        tx_amount = _find(source, "Amt") if tx is not None else None
        part_minor, part_currency = (
            _amount(tx_amount)
            if tx_amount is not None and len(details) > 1
            else (amount_minor, currency)
        )
        remittance = " ".join(
            str(node.text).strip()
            for node in source.iter()
            if isinstance(node.tag, str) and _local(node) == "Ustrd" and node.text
        )
        name = _text(source, "RltdPties/Dbtr/Pty/Nm") or _text(source, "RltdPties/Dbtr/Nm")
        iban = _text(source, "RltdPties/DbtrAcct/Id/IBAN")
        if not credit:
            name = (
                _text(source, "RltdPties/Cdtr/Pty/Nm") or _text(source, "RltdPties/Cdtr/Nm") or name
            )
        e2e = _text(source, "Refs/EndToEndId")
        key_base = (
            bank_ref
            or hashlib.sha256(
                f"{statement_id}|{position}|{booked}|{amount_minor}|{credit}|{e2e}|{remittance}".encode()
            ).hexdigest()[:40]
        )
        yield ParsedEntry(
            key=f"{account}:{key_base}:{index}",
            booking_date=booking_date,
            amount_minor=part_minor,
            currency=part_currency,
            credit=credit,
            structured_reference=_text(source, "RmtInf/Strd/CdtrRefInf/Ref"),
            remittance=remittance,
            end_to_end_id="" if e2e == "NOTPROVIDED" else e2e,
            counterparty_name=name,
            counterparty_iban=iban,
            return_reason=_text(source, "RtrInf/Rsn/Cd"),
            subfamily=subfamily,
            account=account,
        )


def parse_mt940(content: bytes) -> tuple[str, list[ParsedEntry]]:
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        text = content.decode("latin-1")
    if ":20:" not in text or (":61:" not in text and ":60F:" not in text):
        raise errors.StatementInvalid(_("Kein MT940-Kontoauszug."))
    transactions = mt940.models.Transactions(
        processors={
            "post_transaction_details": [mt940.processors.transaction_details_post_processor]
        }
    )
    try:
        transactions.parse(text)
    except Exception as exc:  # the library raises plain exceptions on broken files
        raise errors.StatementInvalid(
            _("MT940 nicht lesbar: %(detail)s") % {"detail": exc}
        ) from exc
    account = str(transactions.data.get("account_identification", ""))
    statement_id = f"{account}:{transactions.data.get('statement_number', '')}"
    entries = []
    for position, transaction_ in enumerate(transactions):
        data = transaction_.data
        value = data["amount"]
        currency = str(getattr(value, "currency", None) or data.get("currency") or "EUR")
        amount_minor = _minor(abs(Decimal(value.amount)), currency)
        credit = str(data.get("status", "")).endswith("C")
        reversal = str(data.get("status", "")).startswith("R")
        purpose = " ".join(
            str(data.get(k) or "") for k in ("purpose", "additional_purpose")
        ).strip()
        bank_ref = str(data.get("bank_reference") or "")
        booked = data.get("date")
        key_base = (
            bank_ref
            or hashlib.sha256(
                f"{statement_id}|{position}|{booked}|{amount_minor}|{credit}|{purpose}".encode()
            ).hexdigest()[:40]
        )
        return_code = ""
        if data.get("transaction_code") in ("109", "159") or reversal:
            found = re.search(r"\b(AC0[146]|AG01|AM04|MD0[1267]|MS0[23]|SL01|RR0[1-4])\b", purpose)
            return_code = found.group(1) if found else "RTRN"
        entries.append(
            ParsedEntry(
                key=f"{account}:{key_base}:0",
                booking_date=date(booked.year, booked.month, booked.day) if booked else None,
                amount_minor=amount_minor,
                currency=currency,
                credit=credit and not return_code,
                structured_reference="",
                remittance=purpose,
                end_to_end_id=str(data.get("customer_reference") or "").replace("NONREF", ""),
                counterparty_name=str(data.get("applicant_name") or ""),
                counterparty_iban=str(data.get("applicant_iban") or ""),
                return_reason=return_code,
                subfamily="",
                account=account,
            )
        )
    return statement_id, entries


# --- matching and booking ---------------------------------------------------------------


def _references_in(entry: ParsedEntry) -> set[str]:
    """Valid RF references of ours found in the structured field or the free text."""
    candidates: list[str] = []
    if entry.structured_reference:
        candidates.append("".join(entry.structured_reference.split()).upper())
    for match in _RF.finditer(entry.remittance.upper()):
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


def entry_process(*, entry: BankEntry, outgoing_to_review: bool = False) -> str:
    """Book a stored entry as a top-up (credit with one RF reference of ours) or a
    returned debit (return reason + our end-to-end id); anything else waits for review.
    Outgoing transfers are ignored here (payouts reconcile them) unless
    `outgoing_to_review`: the one bank import (`payouts.bank`) offered them to payouts
    first, so an outgoing entry left over is one nobody knows. Caller holds the
    transaction. Returns credited, returned, review or ignored."""
    if entry.credit:
        references = _references_in(
            ParsedEntry(
                key=entry.entry_key,
                booking_date=entry.booking_date,
                amount_minor=int(entry.amount_minor),
                currency=entry.currency,
                credit=True,
                structured_reference=entry.reference,
                remittance=entry.remittance,
                end_to_end_id=entry.end_to_end_id,
                counterparty_name=entry.counterparty_name,
                counterparty_iban=entry.counterparty_iban,
                return_reason="",
                subfamily="",
            )
        )
        if len(references) != 1:
            entry.note = "no reference of ours" if not references else "several references"
            entry.save(update_fields=["note"])
            return "review"
        reference = TransferReference.objects.select_related("client_account__platform").get(
            reference=references.pop()
        )
        try:
            with transaction.atomic():
                _credit_entry(entry, reference.client_account)
        except DomainError as exc:
            entry.note = str(exc.message)[:300]
            entry.save(update_fields=["note"])
            return "review"
        return "credited"
    if _is_return(entry):
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
            entry.note = "return debit: original payment not found"
            entry.save(update_fields=["note"])
            return "review"
        if entry.currency != payment.currency:
            entry.note = "return debit: currency differs from the payment"
            entry.save(update_fields=["note"])
            return "review"
        try:
            payment_chargeback(
                payment=payment,
                dispute_id=f"return:{entry.entry_key}",
                amount=Money(int(entry.amount_minor), entry.currency),
                reason=entry.return_reason,
            )
        except DomainError as exc:
            entry.note = str(exc.message)[:300]
            entry.save(update_fields=["note"])
            return "review"
        entry.payment = payment
        entry.client_account = payment.client_account
        entry.status = BankEntryStatus.RETURNED
        entry.save(update_fields=["payment", "client_account", "status"])
        return "returned"
    if outgoing_to_review:
        entry.note = "outgoing: matches no payout"
        entry.save(update_fields=["note"])
        return "review"
    entry.status = BankEntryStatus.IGNORED
    entry.note = OUTGOING_NOTE
    entry.save(update_fields=["status", "note"])
    return "ignored"


def statement_parse(content: bytes) -> ParsedStatement:
    """Read a CAMT.053 (XML) or MT940 file: its id and booked entries. Raises
    `StatementInvalid` for anything else (or a truncated file)."""
    head = content.lstrip()[:200]
    if head.startswith(b"<"):
        statement_id, parsed = parse_camt053(content)
        return ParsedStatement("camt.053", statement_id, parsed)
    statement_id, parsed = parse_mt940(content)
    return ParsedStatement("mt940", statement_id, parsed)


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
    counts = {"credited": 0, "returned": 0, "review": 0, "ignored": 0}
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
        counts["credited"],
        counts["returned"],
        counts["review"],
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
