"""Factories for payouts: a month closed for a few partners, and camt.053 documents."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sprechzeit.core import clock
from sprechzeit.platforms.models import Platform
from sprechzeit.platforms.tests.factories import legal_entity_create, platform_create
from sprechzeit.statements import services as statements
from sprechzeit.statements.tests.factories import Scene, at, busy_scene, settled, tax_profile

__all__ = [
    "Scene",
    "at",
    "busy_scene",
    "camt",
    "close_month",
    "paying_platform",
    "settled",
    "tax_profile",
]


def paying_platform() -> Platform:
    entity = legal_entity_create(
        iban="DE89370400440532013000", bic="COBADEFFXXX", street="Hauptstraße 5", city="München"
    )
    return platform_create(legal_entity=entity)


def close_month(period: str = "2026-10") -> None:
    with clock.frozen_at(at(2026, 11, 2)):
        statements.statements_close(period=period)


@dataclass(frozen=True)
class Line:
    end_to_end_id: str
    amount_minor: int
    credit: bool = False
    reason: str = ""
    reference: str = ""  # an RF creditor reference (a top-up by transfer)


def camt(
    lines: Sequence[Line], *, statement_id: str = "STMT-1", iban: str = "DE89370400440532013000"
) -> bytes:
    entries = []
    for number, line in enumerate(lines, start=1):
        direction = "CRDT" if line.credit else "DBIT"
        amount = f"{line.amount_minor // 100}.{line.amount_minor % 100:02d}"
        reason = f"<RtrInf><Rsn><Cd>{line.reason}</Cd></Rsn></RtrInf>" if line.reason else ""
        if line.reference:
            reason += f"<RmtInf><Strd><CdtrRefInf><Ref>{line.reference}</Ref></CdtrRefInf></Strd></RmtInf>"
        e2e = line.end_to_end_id or "NOTPROVIDED"
        entries.append(
            f"""<Ntry><Amt Ccy="EUR">{amount}</Amt><CdtDbtInd>{direction}</CdtDbtInd>
<Sts><Cd>BOOK</Cd></Sts><BookgDt><Dt>2026-11-10</Dt></BookgDt><ValDt><Dt>2026-11-10</Dt></ValDt>
<AcctSvcrRef>{statement_id}-{number}</AcctSvcrRef>
<BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>ICDT</Cd><SubFmlyCd>ESCT</SubFmlyCd></Fmly></Domn></BkTxCd>
<NtryDtls><TxDtls><Refs><EndToEndId>{e2e}</EndToEndId></Refs>
<Amt Ccy="EUR">{amount}</Amt><CdtDbtInd>{direction}</CdtDbtInd>{reason}</TxDtls></NtryDtls></Ntry>"""
        )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"><BkToCstmrStmt>
<GrpHdr><MsgId>{statement_id}</MsgId><CreDtTm>2026-11-10T22:00:00+01:00</CreDtTm></GrpHdr>
<Stmt><Id>{statement_id}</Id><CreDtTm>2026-11-10T22:00:00+01:00</CreDtTm>
<Acct><Id><IBAN>{iban}</IBAN></Id></Acct>
{"".join(entries)}</Stmt></BkToCstmrStmt></Document>""".encode()
