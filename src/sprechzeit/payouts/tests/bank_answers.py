"""The bank's answers to a payout file, built FROM THE FILE ACTUALLY WRITTEN (its
`MsgId`, `PmtInfId`, each `EndToEndId` and amount), never from the database: a pain.002
rejecting transactions, a camt.053 with one collective entry (`NtryDtls/Btch` without
`TxDtls`, as German banks book `BtchBookg=true`), a camt.054 breaking it down, and a
camt.053 return (RTRN with a reason code). The camt documents pass the ISO XSDs in
`data/` (checked by `camt_errors`)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Final

from lxml import etree

from sprechzeit.core.xml import xsd_errors

DATA: Final = Path(__file__).parent / "data"
PAIN001: Final = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"}
CAMT053_XSD: Final = DATA / "camt.053.001.08.xsd"
CAMT054_XSD: Final = DATA / "camt.054.001.08.xsd"


@dataclass(frozen=True)
class Sent:
    end_to_end_id: str
    amount: str  # as written, e.g. "119.00"
    creditor: str
    creditor_iban: str


@dataclass(frozen=True)
class Written:
    message_id: str
    payment_info_id: str
    debtor_iban: str
    count: int
    total: str
    transactions: list[Sent]

    def sent(self, end_to_end_id: str) -> Sent:
        return next(tx for tx in self.transactions if tx.end_to_end_id == end_to_end_id)


def written(file: bytes) -> Written:
    """What the pain.001 says: the ids and amounts the bank will answer with."""
    root = etree.fromstring(file)
    block = root.find("p:CstmrCdtTrfInitn/p:PmtInf", PAIN001)
    assert block is not None
    transactions = [
        Sent(
            end_to_end_id=str(tx.findtext("p:PmtId/p:EndToEndId", "", PAIN001)),
            amount=str(tx.findtext("p:Amt/p:InstdAmt", "", PAIN001)),
            creditor=str(tx.findtext("p:Cdtr/p:Nm", "", PAIN001)),
            creditor_iban=str(tx.findtext("p:CdtrAcct/p:Id/p:IBAN", "", PAIN001)),
        )
        for tx in block.iterfind("p:CdtTrfTxInf", PAIN001)
    ]
    return Written(
        message_id=str(root.findtext("p:CstmrCdtTrfInitn/p:GrpHdr/p:MsgId", "", PAIN001)),
        payment_info_id=str(block.findtext("p:PmtInfId", "", PAIN001)),
        debtor_iban=str(block.findtext("p:DbtrAcct/p:Id/p:IBAN", "", PAIN001)),
        count=int(block.findtext("p:NbOfTxs", "0", PAIN001)),
        total=str(block.findtext("p:CtrlSum", "0", PAIN001)),
        transactions=transactions,
    )


def pain002(file: Written, rejected: dict[str, str], *, report_id: str = "RPT-1") -> bytes:
    """A pain.002.001.10: the transactions in `rejected` (end-to-end id → reason code)
    RJCT, the others accepted (ACCP)."""
    details = "".join(
        f"<TxInfAndSts><StsId>S{n}</StsId><OrgnlEndToEndId>{tx.end_to_end_id}</OrgnlEndToEndId>"
        + (
            f"<TxSts>RJCT</TxSts><StsRsnInf><Rsn><Cd>{rejected[tx.end_to_end_id]}</Cd></Rsn>"
            "</StsRsnInf>"
            if tx.end_to_end_id in rejected
            else "<TxSts>ACCP</TxSts>"
        )
        + "</TxInfAndSts>"
        for n, tx in enumerate(file.transactions)
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.10"><CstmrPmtStsRpt>
<GrpHdr><MsgId>{report_id}</MsgId><CreDtTm>2026-11-04T08:00:00+01:00</CreDtTm></GrpHdr>
<OrgnlGrpInfAndSts><OrgnlMsgId>{file.message_id}</OrgnlMsgId>
<OrgnlMsgNmId>pain.001.001.09</OrgnlMsgNmId><GrpSts>PART</GrpSts></OrgnlGrpInfAndSts>
<OrgnlPmtInfAndSts><OrgnlPmtInfId>{file.payment_info_id}</OrgnlPmtInfId>
<PmtInfSts>PART</PmtInfSts>{details}</OrgnlPmtInfAndSts></CstmrPmtStsRpt></Document>""".encode()


def _amount(values: list[str]) -> str:
    return f"{sum((Decimal(value) for value in values), Decimal(0)):.2f}"


_CODE: Final = "<BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>ICDT</Cd><SubFmlyCd>{sub}</SubFmlyCd></Fmly></Domn></BkTxCd>"


def _entry(amount: str, direction: str, ref: str, details: str, *, sub: str = "ESCT") -> str:
    return (
        f'<Ntry><Amt Ccy="EUR">{amount}</Amt><CdtDbtInd>{direction}</CdtDbtInd>'
        "<Sts><Cd>BOOK</Cd></Sts><BookgDt><Dt>2026-11-05</Dt></BookgDt>"
        f"<ValDt><Dt>2026-11-05</Dt></ValDt><AcctSvcrRef>{ref}</AcctSvcrRef>"
        f"{_CODE.format(sub=sub)}<NtryDtls>{details}</NtryDtls></Ntry>"
    )


def _batch(file: Written, executed: list[Sent]) -> str:
    return (
        f"<Btch><MsgId>{file.message_id}</MsgId><PmtInfId>{file.payment_info_id}</PmtInfId>"
        f'<NbOfTxs>{len(executed)}</NbOfTxs><TtlAmt Ccy="EUR">'
        f"{_amount([tx.amount for tx in executed])}</TtlAmt><CdtDbtInd>DBIT</CdtDbtInd></Btch>"
    )


def _tx(file: Written, tx: Sent, direction: str, reason: str = "") -> str:
    returned = f"<RtrInf><Rsn><Cd>{reason}</Cd></Rsn></RtrInf>" if reason else ""
    return (
        f"<TxDtls><Refs><MsgId>{file.message_id}</MsgId>"
        f"<PmtInfId>{file.payment_info_id}</PmtInfId><EndToEndId>{tx.end_to_end_id}</EndToEndId>"
        f'</Refs><Amt Ccy="EUR">{tx.amount}</Amt><CdtDbtInd>{direction}</CdtDbtInd>'
        f"<RltdPties><Cdtr><Pty><Nm>{tx.creditor}</Nm></Pty></Cdtr>"
        f"<CdtrAcct><Id><IBAN>{tx.creditor_iban}</IBAN></Id></CdtrAcct></RltdPties>"
        f"{returned}</TxDtls>"
    )


def _statement(file: Written, entries: str, statement_id: str) -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"><BkToCstmrStmt>
<GrpHdr><MsgId>{statement_id}</MsgId><CreDtTm>2026-11-05T22:00:00+01:00</CreDtTm></GrpHdr>
<Stmt><Id>{statement_id}</Id><CreDtTm>2026-11-05T22:00:00+01:00</CreDtTm>
<Acct><Id><IBAN>{file.debtor_iban}</IBAN></Id></Acct>
<Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">100000.00</Amt>
<CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2026-11-05</Dt></Dt></Bal>
{entries}</Stmt></BkToCstmrStmt></Document>""".encode()


def camt053_collective(
    file: Written, *, leave_out: tuple[str, ...] = (), statement_id: str = "STMT-C1"
) -> bytes:
    """One collective debit for the file (without the transactions in `leave_out`, e.g.
    those a pain.002 rejected): `NtryDtls/Btch`, no `TxDtls`."""
    executed = [tx for tx in file.transactions if tx.end_to_end_id not in leave_out]
    entry = _entry(
        _amount([tx.amount for tx in executed]),
        "DBIT",
        f"{statement_id}-1",
        _batch(file, executed),
    )
    return _statement(file, entry, statement_id)


def camt054_details(
    file: Written, *, leave_out: tuple[str, ...] = (), notification_id: str = "NTF-1"
) -> bytes:
    """The camt.054 breaking the collective entry down: one entry with the batch and a
    `TxDtls` per transaction (same bank reference as the collective entry)."""
    executed = [tx for tx in file.transactions if tx.end_to_end_id not in leave_out]
    details = _batch(file, executed) + "".join(_tx(file, tx, "DBIT") for tx in executed)
    entry = _entry(_amount([tx.amount for tx in executed]), "DBIT", "STMT-C1-1", details)
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.08"><BkToCstmrDbtCdtNtfctn>
<GrpHdr><MsgId>{notification_id}</MsgId><CreDtTm>2026-11-05T22:00:00+01:00</CreDtTm></GrpHdr>
<Ntfctn><Id>{notification_id}</Id><CreDtTm>2026-11-05T22:00:00+01:00</CreDtTm>
<Acct><Id><IBAN>{file.debtor_iban}</IBAN></Id></Acct>
{entry}</Ntfctn></BkToCstmrDbtCdtNtfctn></Document>""".encode()


def camt053_return(
    file: Written, end_to_end_id: str, reason: str, *, statement_id: str = "STMT-R1"
) -> bytes:
    """The payee's bank sends a transaction back (RTRN, reason e.g. AC04): a credit on
    our account with the original end-to-end id and `RtrInf/Rsn/Cd`."""
    tx = file.sent(end_to_end_id)
    entry = _entry(
        tx.amount, "CRDT", f"{statement_id}-1", _tx(file, tx, "CRDT", reason), sub="RRTN"
    )
    return _statement(file, entry, statement_id)


def camt_errors(xml: bytes) -> list[str]:
    """The ISO schema's complaints about a camt.053 or camt.054 built here."""
    schema = CAMT054_XSD if b"camt.054" in xml[:300] else CAMT053_XSD
    return xsd_errors(xml, schema=schema)
