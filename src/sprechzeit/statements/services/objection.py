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

from sprechzeit.accounts.models import Partner
from sprechzeit.core import clock
from sprechzeit.statements import errors
from sprechzeit.statements.models import Objection
from sprechzeit.statements.services.cancel import (
    cancel_locked,
    issued_credit_note_locked,
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
