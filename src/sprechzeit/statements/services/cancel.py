"""Cancelling an issued credit note: a cancellation document (384) with its own number,
the VAT booking reversed, and by default a replacement issued with the partner's
current data."""

from __future__ import annotations

import hashlib

from django.db import transaction

from sprechzeit.core import clock
from sprechzeit.ledger import services as ledger
from sprechzeit.statements import errors
from sprechzeit.statements.documents.assembly import statement_xml_checked
from sprechzeit.statements.documents.cii import cii_xml
from sprechzeit.statements.locks import numbers_take_against_duplicates
from sprechzeit.statements.models import Statement, StatementSection
from sprechzeit.statements.periods import today
from sprechzeit.statements.services.bookings import reverse_charge_spec, vat_book
from sprechzeit.statements.services.issue import number_text, statement_issue


@transaction.atomic(durable=True)
def statement_cancel(
    *, statement: Statement, reissue: bool = True
) -> tuple[Statement, Statement | None]:
    """Cancel an issued credit note: a 384 document with its own number that mirrors
    every amount and refers to the original (BG-3), its VAT booking reversed; then,
    unless `reissue` is False, a fresh credit note of the same period and content issued
    with the partner's current data. The original stays as it was, marked cancelled."""
    original = issued_credit_note_locked(statement_id=statement.pk)
    cancellation = cancel_locked(original)
    replacement = replacement_issue(original) if reissue else None
    return cancellation, replacement


def issued_credit_note_locked(*, statement_id: int, partner_id: int | None = None) -> Statement:
    """The issued credit note, locked FOR UPDATE (caller holds the transaction); raises
    `StatementNotIssued` otherwise (also for another partner's note)."""
    query = Statement.objects.select_for_update(of=("self",)).select_related(
        "partner__user", "legal_entity"
    )
    if partner_id is not None:
        query = query.filter(partner_id=partner_id)
    original = query.filter(pk=statement_id).first()
    if (
        original is None
        or original.status != Statement.Status.ISSUED
        or original.kind != Statement.Kind.CREDIT_NOTE
    ):
        raise errors.StatementNotIssued(statement=statement_id)
    return original


def cancel_locked(original: Statement) -> Statement:
    """The 384 of a locked, issued note, its VAT reversed, the note marked cancelled."""
    cancellation = _cancellation_issue(original)
    vat_book(statement=original, vat_minor=-original.vat_minor, key=f"vat-cancel:{original.pk}")
    reverse_charge = reverse_charge_spec(
        statement=original,
        status=original.vat_status,
        basis_minor=-original.net_minor,
        key=f"vat-13b-cancel:{original.pk}",
        tax_month=None,
    )
    if reverse_charge is not None:
        ledger.transfers_post_linked(transfers=[reverse_charge])
    Statement.objects.filter(pk=original.pk).update(status=Statement.Status.CANCELLED)
    return cancellation


def _cancellation_issue(original: Statement) -> Statement:
    """The cancellation document: the original's data with every amount negated, its
    own number, and a note naming the original."""
    issue_date = today()
    seq = numbers_take_against_duplicates(
        legal_entity_id=original.legal_entity_id, year=issue_date.year, count=1
    )
    number = number_text(year=issue_date.year, seq=seq)
    data = dict(original.data)
    data.update(
        kind="384",
        number=number,
        issue_date=issue_date.isoformat(),
        net_minor=-original.net_minor,
        vat_minor=-original.vat_minor,
        gross_minor=-original.gross_minor,
        cancels={"number": original.number, "issue_date": original.data["issue_date"]},
        notes=[
            f"Storno zur Gutschrift Nr. {original.number} vom {original.issue_date:%d.%m.%Y}",
            *original.data["notes"],
        ],
        # The payout outlook is the credit note's; the replacement states its own.
        payout=None,
    )
    xml = statement_xml_checked(data)
    xrechnung = cii_xml(data, flavour="xrechnung")
    return Statement.objects.create(
        partner=original.partner,
        legal_entity=original.legal_entity,
        kind=Statement.Kind.CANCELLATION,
        status=Statement.Status.ISSUED,
        period_start=original.period_start,
        period_end=original.period_end,
        currency=original.currency,
        cancels=original,
        number=number,
        number_year=issue_date.year,
        number_seq=seq,
        issue_date=issue_date,
        issued_at=clock.now(),
        vat_status=original.vat_status,
        net_minor=-original.net_minor,
        vat_minor=-original.vat_minor,
        gross_minor=-original.gross_minor,
        data=data,
        xml=xml,
        xml_sha256=hashlib.sha256(xml).hexdigest(),
        xrechnung=xrechnung,
        xrechnung_sha256=hashlib.sha256(xrechnung).hexdigest(),
        created_at=clock.now(),
    )


def replacement_issue(original: Statement) -> Statement:
    """A fresh credit note of the original's period and content, issued now."""
    replacement = Statement.objects.create(
        partner=original.partner,
        legal_entity=original.legal_entity,
        period_start=original.period_start,
        period_end=original.period_end,
        currency=original.currency,
        created_at=clock.now(),
    )
    StatementSection.objects.bulk_create(
        [
            StatementSection(
                statement=replacement,
                platform_id=section.platform_id,
                consultations=section.consultations,
                billed_seconds=section.billed_seconds,
                gross_minor=section.gross_minor,
                share_minor=section.share_minor,
            )
            for section in original.sections.all()
        ]
    )
    # Adjustments stay linked to the original; the new note repeats them as lines.
    inherited = [line for line in original.data["lines"] if line["kind"] == "adjustment"]
    Statement.objects.filter(pk=replacement.pk).update(data={"inherited_adjustments": inherited})
    # A correction of an issued note is not a late first issue (§ 14 Abs. 2 UStG).
    return statement_issue(
        statement_id=replacement.pk, late_override=f"Berichtigung von {original.number}"
    )
