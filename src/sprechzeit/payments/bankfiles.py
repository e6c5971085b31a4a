"""Bank files: reading a CAMT.053 account statement or a CAMT.054 debit/credit
notification (own lxml parser, any version) or an MT940 (`mt-940`) into its id and
booked entries. No database, no booking: the
payments import (`payments.services.bank`) and the one bank import (`payouts.bank`)
both read through here, so a file means the same to top-ups and payouts.

Each entry gets a stable key (the bank's reference where it gives one, else a hash of
what identifies it in the file) under the statement's own account, so an entry that
appears in two files is recognised. A collective entry ("Sammlerbuchung": `NtryDtls/Btch`
without `TxDtls`) is one entry carrying the batch's message id, payment information id
and count (key suffix `batch`); the camt.054 that breaks it down has one entry per
transaction (suffixes 0, 1, …), so the two are never taken for each other.
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
from django.utils.translation import gettext as _

from sprechzeit.core.money import MINOR_UNITS
from sprechzeit.core.xml import (
    XmlUnreadable,
    xml_children,
    xml_find,
    xml_local,
    xml_parse_untrusted,
    xml_text,
)
from sprechzeit.payments import errors

CAMT_NAMESPACE: Final = "urn:iso:std:iso:20022:tech:xsd:camt.053."
CAMT054_NAMESPACE: Final = "urn:iso:std:iso:20022:tech:xsd:camt.054."
# camt.053 → BkToCstmrStmt/Stmt; camt.054 → BkToCstmrDbtCdtNtfctn/Ntfctn
CAMT_ROOTS: Final = {
    CAMT_NAMESPACE: ("BkToCstmrStmt", "Stmt"),
    CAMT054_NAMESPACE: ("BkToCstmrDbtCdtNtfctn", "Ntfctn"),
}
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
    # A collective entry without transaction details (`NtryDtls/Btch`): the batch it
    # books, as the original file named it (pain.001 MsgId / PmtInfId), and its count.
    batch_message_id: str = ""
    batch_payment_info_id: str = ""
    batch_count: int = 0

    @property
    def is_batch(self) -> bool:
        return bool(self.batch_message_id or self.batch_payment_info_id)


@dataclass(frozen=True, slots=True)
class ParsedStatement:
    format: str  # "camt.053", "camt.054" or "mt940"
    statement_id: str
    entries: list[ParsedEntry]


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
    """The statement's (or notification's) id and its booked entries (one per transaction
    detail; one for a collective entry without details). Reads camt.053 and camt.054."""
    return _parse_camt(content)[1:]


def _parse_camt(content: bytes) -> tuple[str, str, list[ParsedEntry]]:
    try:
        root, namespace, local = xml_parse_untrusted(content)
    except XmlUnreadable as exc:
        raise errors.StatementInvalid(
            _("Kein wohlgeformtes XML: %(detail)s") % {"detail": exc}
        ) from exc
    kind = next((prefix for prefix in CAMT_ROOTS if namespace.startswith(prefix)), "")
    container, item = CAMT_ROOTS.get(kind, ("BkToCstmrStmt", "Stmt"))
    statement_root = xml_find(root, container)
    if local != "Document" or not kind or statement_root is None:
        raise errors.StatementInvalid(_("Kein camt.053- oder camt.054-Dokument."))
    entries: list[ParsedEntry] = []
    statement_ids: list[str] = []
    for statement in xml_children(statement_root, item):
        statement_ids.append(xml_text(statement, "Id"))
        account = xml_text(statement, "Acct/Id/IBAN") or xml_text(statement, "Acct/Id/Othr/Id")
        for position, entry in enumerate(xml_children(statement, "Ntry")):
            status = xml_text(entry, "Sts/Cd") or xml_text(entry, "Sts")
            if status and status != "BOOK":
                continue
            entries.extend(
                _camt_entry(
                    entry, account=account, position=position, statement_id=statement_ids[-1]
                )
            )
    label = "camt.054" if kind == CAMT054_NAMESPACE else "camt.053"
    return label, ",".join(statement_ids), entries


def _batch(entry: Any) -> dict[str, Any]:
    """The `NtryDtls/Btch` of a collective entry (empty fields when there is none)."""
    blocks = [
        batch for block in xml_children(entry, "NtryDtls") for batch in xml_children(block, "Btch")
    ]
    if not blocks:
        return {}
    count = xml_text(blocks[0], "NbOfTxs")
    return {
        "batch_message_id": xml_text(blocks[0], "MsgId"),
        "batch_payment_info_id": xml_text(blocks[0], "PmtInfId"),
        "batch_count": int(count) if count.isdigit() else 0,
    }


def _camt_entry(
    entry: Any, *, account: str, position: int, statement_id: str
) -> Iterator[ParsedEntry]:
    amount_minor, currency = _amount(xml_find(entry, "Amt"))
    credit = xml_text(entry, "CdtDbtInd") == "CRDT"
    booked = xml_text(entry, "BookgDt/Dt") or xml_text(entry, "BookgDt/DtTm")[:10]
    try:
        booking_date = date.fromisoformat(booked) if booked else None
    except ValueError:
        booking_date = None
    bank_ref = xml_text(entry, "AcctSvcrRef")
    subfamily = xml_text(entry, "BkTxCd/Domn/Fmly/SubFmlyCd")
    details = [
        tx for block in xml_children(entry, "NtryDtls") for tx in xml_children(block, "TxDtls")
    ]
    batch = {} if details else _batch(entry)
    if not details:
        details = [None]
    for index, tx in enumerate(details):
        source = tx if tx is not None else entry
        tx_amount = xml_find(source, "Amt") if tx is not None else None
        part_minor, part_currency = (
            _amount(tx_amount)
            if tx_amount is not None and len(details) > 1
            else (amount_minor, currency)
        )
        remittance = " ".join(
            str(node.text).strip()
            for node in source.iter()
            if isinstance(node.tag, str) and xml_local(node) == "Ustrd" and node.text
        )
        name = xml_text(source, "RltdPties/Dbtr/Pty/Nm") or xml_text(source, "RltdPties/Dbtr/Nm")
        iban = xml_text(source, "RltdPties/DbtrAcct/Id/IBAN")
        if not credit:
            name = (
                xml_text(source, "RltdPties/Cdtr/Pty/Nm")
                or xml_text(source, "RltdPties/Cdtr/Nm")
                or name
            )
        e2e = xml_text(source, "Refs/EndToEndId")
        key_base = (
            bank_ref
            or hashlib.sha256(
                f"{statement_id}|{position}|{booked}|{amount_minor}|{credit}|{e2e}|{remittance}".encode()
            ).hexdigest()[:40]
        )
        yield ParsedEntry(
            key=f"{account}:{key_base}:{'batch' if batch else index}",
            booking_date=booking_date,
            amount_minor=part_minor,
            currency=part_currency,
            credit=credit,
            structured_reference=xml_text(source, "RmtInf/Strd/CdtrRefInf/Ref"),
            remittance=remittance,
            end_to_end_id="" if e2e == "NOTPROVIDED" else e2e,
            counterparty_name=name,
            counterparty_iban=iban,
            return_reason=xml_text(source, "RtrInf/Rsn/Cd"),
            subfamily=subfamily,
            account=account,
            **batch,
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


def statement_parse(content: bytes) -> ParsedStatement:
    """Read a CAMT.053 or CAMT.054 (XML) or MT940 file: its id and booked entries.
    Raises `StatementInvalid` for anything else (or a truncated file)."""
    head = content.lstrip()[:200]
    if head.startswith(b"<"):
        label, statement_id, parsed = _parse_camt(content)
        return ParsedStatement(label, statement_id, parsed)
    statement_id, parsed = parse_mt940(content)
    return ParsedStatement("mt940", statement_id, parsed)
