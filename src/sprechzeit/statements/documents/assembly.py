"""What a statement's documents say, assembled once at issue and frozen as the
statement's `data` (JSON): the lines, the parties, VAT, totals, the payout outlook.
`cii.py` and `pdf.py` render only from this; `statement_xml_checked` is the XML every
issued document carries."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sprechzeit.accounts.models import Partner
from sprechzeit.core.money import Money
from sprechzeit.platforms.models import LegalEntity
from sprechzeit.statements import errors
from sprechzeit.statements.documents.cii import cii_xml
from sprechzeit.statements.documents.validation import document_problems
from sprechzeit.statements.models import (
    Adjustment,
    PartnerTaxProfile,
    Statement,
    StatementSection,
)
from sprechzeit.statements.periods import period_text
from sprechzeit.statements.vat import (
    SELF_BILLING_NOTE,
    AdjustmentLine,
    DocumentTotals,
    PlatformLine,
)


def _minutes(seconds: int) -> str:
    return f"{seconds // 60}:{seconds % 60:02d}"


def statement_lines(
    statement: Statement,
    sections: Sequence[StatementSection],
    adjustments: Sequence[Adjustment],
) -> tuple[list[PlatformLine], list[AdjustmentLine], list[dict[str, Any]]]:
    """The statement's lines three ways: for the VAT computation (platform lines,
    adjustment lines) and as the documents print them. A replacement's inherited
    adjustments (`data["inherited_adjustments"]`) come before its own."""
    period_label = period_text(statement.period_start, statement.period_end)
    platform_lines: list[PlatformLine] = []
    adjustment_lines: list[AdjustmentLine] = []
    data_lines: list[dict[str, Any]] = []
    for section in sections:
        line = PlatformLine(
            platform_name=section.platform.name,
            consultations=section.consultations,
            billed_seconds=section.billed_seconds,
            gross_takings=Money(section.gross_minor, statement.currency),
            share=Money(section.share_minor, statement.currency),
        )
        platform_lines.append(line)
        data_lines.append(
            {
                "kind": "platform",
                "platform": section.platform.name,
                "name": f"Beratungsleistungen {section.platform.name} {period_label}",
                "description": (
                    f"{section.consultations} Beratungen, {_minutes(section.billed_seconds)}"
                    " Minuten (Telefon/Chat)"
                ),
                "consultations": section.consultations,
                "billed_seconds": section.billed_seconds,
                "gross_minor": section.gross_minor,
                "amount_minor": section.share_minor,
            }
        )
    for line in (statement.data or {}).get("inherited_adjustments", []):
        adjustment_lines.append(
            AdjustmentLine(line["name"], Money(int(line["amount_minor"]), statement.currency))
        )
        data_lines.append(line)
    for adjustment in adjustments:
        amount = Money(adjustment.amount_minor, adjustment.currency)
        adjustment_lines.append(AdjustmentLine(adjustment.description, amount))
        data_lines.append(
            {
                "kind": "adjustment",
                "platform": adjustment.platform.name,
                "name": f"{adjustment.get_kind_display()}: {adjustment.description}",
                "description": adjustment.platform.name,
                "amount_minor": adjustment.amount_minor,
            }
        )
    return platform_lines, adjustment_lines, data_lines


def _seller(profile: PartnerTaxProfile, partner: Partner) -> dict[str, Any]:
    """The partner, who supplies the service (BG-4)."""
    street = " ".join(part for part in (profile.street, profile.building_number) if part)
    return {
        "id": f"BERATER-{partner.pk}",
        "name": profile.legal_name,
        "street": street,
        "postal_code": profile.postal_code,
        "city": profile.city,
        "country": profile.country,
        "tax_number": profile.tax_number,
        "vat_id": profile.vat_id,
        "email": partner.user.email,
        "phone": partner.phone_number,
    }


def _buyer(entity: LegalEntity) -> dict[str, Any]:
    """The issuing entity, who buys the service and issues the document (BG-7)."""
    return {
        "name": entity.name,
        "street": entity.street,
        "postal_code": entity.postal_code,
        "city": entity.city,
        "country": entity.country,
        "tax_number": "",
        "vat_id": entity.vat_id,
        "email": entity.email,
        # § 35a GmbHG: register court and number, managing directors (printed, and the
        # register entry as BT-47 in the XML).
        "register_entry": entity.register_entry,
        "managing_directors": entity.managing_directors,
    }


def statement_data(
    *,
    statement: Statement,
    profile: PartnerTaxProfile,
    totals: DocumentTotals,
    lines: list[dict[str, Any]],
    number: str,
    issue_date: date,
    kind: str = "389",
    cancels: Statement | None = None,
    payout: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Everything the documents print, frozen at issue (JSON). `payout` is the credit
    note's `PayoutOutlook` (carried forward, this note, total, paid out or why not)."""
    partner = statement.partner
    case = totals.case
    notes = [SELF_BILLING_NOTE]
    if case.note:
        notes.append(case.note)
    if cancels is not None:
        notes.insert(
            0,
            f"Storno zur Gutschrift Nr. {cancels.number} vom {cancels.issue_date:%d.%m.%Y}",
        )
    return {
        "kind": kind,
        "number": number,
        "issue_date": issue_date.isoformat(),
        "period_start": statement.period_start.isoformat(),
        "period_end": statement.period_end.isoformat(),
        "currency": statement.currency,
        "language": profile.language,
        "buyer_reference": f"BERATER-{partner.pk}",
        "seller": _seller(profile, partner),
        "buyer": _buyer(statement.legal_entity),
        "lines": lines,
        "vat": {
            "status": str(case.status),
            "category": str(case.category),
            "rate": f"{case.rate:.2f}",
            "exemption_code": case.exemption_code,
            "note": case.note,
        },
        "net_minor": totals.net.minor,
        "vat_minor": totals.vat.minor,
        "gross_minor": totals.gross.minor,
        "payee": {
            "iban": profile.iban,
            "bic": profile.bic,
            "account_holder": profile.account_holder,
        },
        "payment_terms": "Auszahlung per SEPA-Überweisung auf das angegebene Konto",
        "cancels": (
            {"number": cancels.number, "issue_date": cancels.issue_date.isoformat()}
            if cancels is not None and cancels.issue_date is not None
            else None
        ),
        "notes": notes,
        "payout": payout,
    }


def statement_xml_checked(data: dict[str, Any]) -> bytes:
    """The CII XML of frozen `data`, checked against the XSD and the EN 16931
    Schematron; raises `DocumentInvalid` (with the first problems) rather than issue a
    document that fails them (cancellations: their original passed the same checks)."""
    xml = cii_xml(data)
    problems = document_problems(xml)
    if problems:
        raise errors.DocumentInvalid(number=data["number"], problems=problems[:5])
    return xml
