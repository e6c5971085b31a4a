"""A partner's objection (Widerspruch) to a credit note, and how staff settle it.

§ 14 Abs. 2 Satz 3 UStG: a credit note loses its effect as an invoice when its recipient
objects. So the objection is recorded (reason, time, address) and the note cancelled by
a 384 in the same transaction: its VAT (and reverse-charge VAT) is reversed, and the
cancellation nets against what the partner is owed until staff have settled the amount
with the partner: either a new credit note after they agreed on its content
(`objection_resolve(resolution="reissued")`), or the partner's own invoice, booked by the
accountant outside the platform (`"own_invoice"`, with its number in the note).
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from sprechzeit.accounts.models import Partner, User
from sprechzeit.audit.services import audit_record
from sprechzeit.core import clock
from sprechzeit.statements import errors
from sprechzeit.statements.models import Objection, Statement
from sprechzeit.statements.services.cancel import (
    cancel_locked,
    issued_credit_note_locked,
    replacement_issue,
)

REASON_MAX = 2000


@transaction.atomic(durable=True)
def statement_object(
    *, partner: Partner, statement_id: int, reason: str, ip: str | None
) -> Objection:
    """Record the partner's objection to their issued credit note and cancel it (384).
    Raises `ObjectionInvalid` without a reason, for a note that is not theirs, not
    issued (cancelled, held) or not a credit note."""
    text = reason.strip()
    if not text:
        raise errors.ObjectionInvalid(_("Bitte begründen Sie den Widerspruch."))
    try:
        original = issued_credit_note_locked(statement_id=statement_id, partner_id=partner.pk)
    except errors.StatementNotIssued as exc:
        raise errors.ObjectionInvalid(statement=statement_id) from exc
    cancellation = cancel_locked(original)
    return Objection.objects.create(
        statement=original,
        partner=partner,
        reason=text[:REASON_MAX],
        at=clock.now(),
        ip=ip or None,
        cancellation=cancellation,
    )


@transaction.atomic
def objection_resolve(
    *, objection_id: int, actor: User, resolution: str, note: str = "", ip: str | None = None
) -> Objection:
    """Staff record how an objection was settled, once: `reissued` issues a new credit
    note of the cancelled note's period and content with the partner's current data
    (after agreeing it with the partner); `own_invoice` records that the partner invoiced
    the amount themselves (its number in `note`; booked by the accountant). One audit
    entry. Raises `ObjectionInvalid` when it is resolved already or `resolution` is
    unknown."""
    objection = (
        Objection.objects.select_for_update(of=("self",))
        .select_related("statement")
        .get(pk=objection_id)
    )
    if objection.resolved_at is not None or resolution not in Objection.Resolution.values:
        raise errors.ObjectionInvalid(objection=objection_id)
    replacement = None
    if resolution == Objection.Resolution.REISSUED:
        original = Statement.objects.select_related("partner__user", "legal_entity").get(
            pk=objection.statement_id
        )
        replacement = replacement_issue(original)
    before = {"resolution": "", "resolved_at": None}
    objection.resolution = resolution
    objection.resolution_note = note.strip()[:300]
    objection.resolved_at = clock.now()
    objection.replacement = replacement
    objection.save(update_fields=["resolution", "resolution_note", "resolved_at", "replacement"])
    audit_record(
        actor=actor,
        action="statement.objection_resolve",
        target=objection,
        before=before,
        after={
            "resolution": resolution,
            "resolved_at": objection.resolved_at,
            "replacement": replacement.number if replacement is not None else None,
            "replacement_status": replacement.status if replacement is not None else None,
        },
        reason=objection.resolution_note,
        ip=ip,
    )
    return objection
