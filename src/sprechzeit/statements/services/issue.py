"""Issuing credit notes: gap-free numbers, the frozen document data, the CII XML and the
VAT booking, all in one transaction per chunk.

Locks, in this order: the statements' rows (FOR UPDATE, primary-key order, so a racing
run waits and then finds them issued), then each series' counter
(`statements.locks.numbers_take_against_duplicates`).
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from typing import Any, Final

from django.db import transaction

from sprechzeit.core import clock
from sprechzeit.core.db import rows_update_each
from sprechzeit.ledger import services as ledger
from sprechzeit.ledger.services import TransferSpec
from sprechzeit.statements import issuing_rules, selectors
from sprechzeit.statements.documents.assembly import statement_data, statement_lines
from sprechzeit.statements.documents.cii import cii_xml
from sprechzeit.statements.documents.validation import document_problems
from sprechzeit.statements.locks import numbers_take_against_duplicates
from sprechzeit.statements.mails import statements_issued_on_commit
from sprechzeit.statements.models import (
    Adjustment,
    PartnerTaxProfile,
    Statement,
    StatementSection,
)
from sprechzeit.statements.payability import PayoutTerms, payout_outlook, payout_terms
from sprechzeit.statements.periods import today
from sprechzeit.statements.services.bookings import reverse_charge_spec, vat_spec
from sprechzeit.statements.vat import DocumentTotals, VatStatus, document_totals

NUMBER_PREFIX: Final = "GS"


def number_text(*, year: int, seq: int) -> str:
    """A document number as printed: GS-2026-000042."""
    return f"{NUMBER_PREFIX}-{year}-{seq:06d}"


def statement_issue(*, statement_id: int, late_override: str = "") -> Statement:
    """Issue one draft or held credit note (see `statements_issue`)."""
    return statements_issue(statement_ids=[statement_id], late_override=late_override)[0]


def _held_and_due(
    open_ones: list[Statement], profiles: dict[int, PartnerTaxProfile], *, late_override: str
) -> tuple[list[Statement], list[tuple[Statement, PartnerTaxProfile]]]:
    """Split open notes into those held (reason set) and those to issue, each with the
    partner's profile as it applied in the note's period (`issuing_rules`)."""
    for_period = issuing_rules.profiles_for_periods(open_ones, profiles)
    consented = issuing_rules.consented_pairs(open_ones)
    held: list[Statement] = []
    due: list[tuple[Statement, PartnerTaxProfile]] = []
    for statement in open_ones:
        profile = for_period.get(statement.pk)
        gaps = selectors.tax_profile_gaps(profiles.get(statement.partner_id))
        if profile is not None:
            gaps += selectors.entity_gaps(legal_entity=statement.legal_entity, profile=profile)
        if (statement.partner_id, statement.legal_entity_id) not in consented:
            gaps.append(issuing_rules.consent_missing(statement.legal_entity))
        late = issuing_rules.deadline_gap(
            period_end=statement.period_end, late_override=late_override
        )
        if late:
            gaps.append(late)
        if gaps or profile is None:
            statement.status = Statement.Status.HELD
            statement.held_reason = " ".join(gaps)[:300]
            held.append(statement)
        else:
            due.append((statement, profile))
    return held, due


def statements_issue(*, statement_ids: Sequence[int], late_override: str = "") -> list[Statement]:
    """Issue drafts or held credit notes, all in one transaction: numbers, frozen data,
    CII XML (checked against the XSD and the EN 16931 Schematron) and the VAT bookings
    commit together or not at all. A partner without complete data or without consent
    to self-billing for the issuing entity, a note past the issuing deadline (unless
    `late_override` gives the reason to issue it anyway, kept in its data), or a note
    whose XML fails either check, keeps a held statement with the reason (and takes no
    number); issued or cancelled statements are returned unchanged. The tax status is
    the one that applied in the note's period (`issuing_rules`).

    Locks: the statements' rows (FOR UPDATE, primary-key order, so a racing run waits
    and then finds them issued), then each series' counter.
    """
    with transaction.atomic():
        statements = list(
            Statement.objects.select_for_update(of=("self",))
            .select_related("partner__user", "legal_entity")
            .filter(pk__in=statement_ids)
            .order_by("pk")
        )
        open_ones = [
            statement
            for statement in statements
            if statement.status in (Statement.Status.DRAFT, Statement.Status.HELD)
        ]
        if not open_ones:
            return statements
        partner_ids = {statement.partner_id for statement in open_ones}
        profiles = {
            profile.partner_id: profile
            for profile in PartnerTaxProfile.objects.filter(partner_id__in=partner_ids)
        }
        sections: dict[int, list[StatementSection]] = defaultdict(list)
        for section in (
            StatementSection.objects.filter(statement__in=open_ones)
            .select_related("platform")
            .order_by("platform__name", "pk")
        ):
            sections[section.statement_id].append(section)
        adjustments: dict[int, list[Adjustment]] = defaultdict(list)
        for adjustment in (
            Adjustment.objects.filter(statement__in=open_ones)
            .select_related("platform")
            .order_by("pk")
        ):
            if adjustment.statement_id is not None:
                adjustments[adjustment.statement_id].append(adjustment)
        held, due = _held_and_due(open_ones, profiles, late_override=late_override)
        if held:
            rows_update_each(held, ["status", "held_reason"])
        while due:
            try:
                # a savepoint: a note failing its checks gives every number back
                with transaction.atomic():
                    _issue_due(due, sections, adjustments, late_override=late_override)
                break
            except _DocumentsFailed as failed:
                for statement in failed.reasons:
                    statement.status = Statement.Status.HELD
                rows_update_each(list(failed.reasons), ["status", "held_reason"])
                due = [pair for pair in due if pair[0] not in failed.reasons]
        return statements


INVALID_REASON: Final = "Die E-Rechnung besteht die Prüfung nach EN 16931 nicht: "


class _DocumentsFailed(Exception):
    """Some notes' XML failed the XSD or the Schematron; `reasons` holds them, each
    statement with its `held_reason` set."""

    def __init__(self, reasons: dict[Statement, str]) -> None:
        super().__init__(f"{len(reasons)} documents failed")
        self.reasons = reasons


ISSUED_FIELDS: Final = [
    "status",
    "held_reason",
    "number",
    "number_year",
    "number_seq",
    "issue_date",
    "issued_at",
    "vat_status",
    "net_minor",
    "vat_minor",
    "gross_minor",
    "data",
    "xml",
    "xml_sha256",
    "xrechnung",
    "xrechnung_sha256",
]


def _vat_specs(
    statement: Statement, profile: PartnerTaxProfile, totals: DocumentTotals
) -> list[TransferSpec]:
    """The VAT bookings of an issued note: the regular VAT owed to the partner, and for
    a partner abroad the reverse-charge VAT, counted in the month of the service."""
    specs = (
        vat_spec(statement=statement, vat_minor=totals.vat.minor, key=f"vat:{statement.pk}"),
        reverse_charge_spec(
            statement=statement,
            status=profile.vat_status,
            basis_minor=totals.net.minor,
            key=f"vat-13b:{statement.pk}",
            tax_month=statement.period_end,
        ),
    )
    return [spec for spec in specs if spec is not None]


def _document_data(
    statement: Statement,
    profile: PartnerTaxProfile,
    sections: list[StatementSection],
    adjustments: list[Adjustment],
    entity_terms: PayoutTerms,
    *,
    number: str,
    issue_date: date,
) -> tuple[DocumentTotals, dict[str, Any]]:
    """A note's totals and the frozen data its documents print."""
    platform_lines, adjustment_lines, data_lines = statement_lines(statement, sections, adjustments)
    totals = document_totals(
        lines=platform_lines,
        adjustments=adjustment_lines,
        status=VatStatus(profile.vat_status),
        currency=statement.currency,
    )
    outlook = payout_outlook(
        profile=profile,
        carried_forward_minor=entity_terms.carried_forward_minor.get(statement.partner_id, 0),
        amount_minor=totals.gross.minor,
        threshold_minor=entity_terms.threshold_minor,
    )
    data = statement_data(
        statement=statement,
        profile=profile,
        totals=totals,
        lines=data_lines,
        number=number,
        issue_date=issue_date,
        payout=outlook.as_data(),
    )
    return totals, data


def _issue_due(
    due: list[tuple[Statement, PartnerTaxProfile]],
    sections: dict[int, list[StatementSection]],
    adjustments: dict[int, list[Adjustment]],
    *,
    late_override: str = "",
) -> None:
    """Caller holds the transaction (a savepoint of its own) and the statements' row
    locks. Raises `_DocumentsFailed`, before writing anything, when a note's XML fails."""
    issue_date = today()
    now = clock.now()
    per_series: dict[int, int] = defaultdict(int)
    for statement, _profile in due:
        per_series[statement.legal_entity_id] += 1
    firsts = {
        entity_id: numbers_take_against_duplicates(
            legal_entity_id=entity_id, year=issue_date.year, count=count
        )
        for entity_id, count in sorted(per_series.items())
    }
    # What earlier documents still owe each partner, and the threshold: the figures the
    # note states about its payout (read before these drafts count as issued).
    terms = {
        entity_id: payout_terms(
            legal_entity_id=entity_id,
            partner_ids=[s.partner_id for s, _p in due if s.legal_entity_id == entity_id],
        )
        for entity_id in sorted(per_series)
    }
    vat_specs: list[TransferSpec] = []
    failed: dict[Statement, str] = {}
    for statement, profile in due:
        seq = firsts[statement.legal_entity_id]
        firsts[statement.legal_entity_id] += 1
        number = number_text(year=issue_date.year, seq=seq)
        totals, data = _document_data(
            statement,
            profile,
            sections[statement.pk],
            adjustments[statement.pk],
            terms[statement.legal_entity_id],
            number=number,
            issue_date=issue_date,
        )
        if late_override.strip() and issuing_rules.deadline_gap(
            period_end=statement.period_end, late_override=""
        ):
            data["late_override"] = late_override.strip()
        xml = cii_xml(data)
        problems = document_problems(xml)
        if problems:
            statement.held_reason = (INVALID_REASON + " | ".join(problems))[:300]
            failed[statement] = statement.held_reason
            continue
        vat_specs += _vat_specs(statement, profile, totals)
        statement.status = Statement.Status.ISSUED
        statement.held_reason = ""
        statement.number = number
        statement.number_year = issue_date.year
        statement.number_seq = seq
        statement.issue_date = issue_date
        statement.issued_at = now
        statement.vat_status = profile.vat_status
        statement.net_minor = totals.net.minor
        statement.vat_minor = totals.vat.minor
        statement.gross_minor = totals.gross.minor
        statement.data = data
        statement.xml = xml
        statement.xml_sha256 = hashlib.sha256(xml).hexdigest()
        statement.xrechnung = cii_xml(data, flavour="xrechnung")
        statement.xrechnung_sha256 = hashlib.sha256(statement.xrechnung).hexdigest()
    if failed:
        raise _DocumentsFailed(failed)
    rows_update_each([statement for statement, _p in due], ISSUED_FIELDS)
    if vat_specs:
        ledger.transfers_post_linked(transfers=vat_specs)
    statements_issued_on_commit(statement_ids=[statement.pk for statement, _p in due])
