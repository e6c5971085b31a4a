"""Goodwill credits: staff credit a client bonus or paid balance with a reason, within
their role's limit at once, above it after a second, different staff member approves.

The money moves only through the ledger (`wallets.wallet_goodwill_credit`: the
platform's `promotion_expense` to the client's `client_bonus` or `client_wallet`), with
the credit's id as the use case's id, so a retried approval books nothing twice.
"""

from __future__ import annotations

from django.db import transaction

from sprechzeit.accounts import roles
from sprechzeit.accounts.models import ClientAccount, User
from sprechzeit.audit.services import audit_record
from sprechzeit.core import clock
from sprechzeit.core.money import Money
from sprechzeit.support.errors import (
    GoodwillDecided,
    GoodwillInvalid,
    GoodwillOverLimit,
    GoodwillSameApprover,
)
from sprechzeit.support.models import GoodwillCredit
from sprechzeit.support.services.common import goodwill_limit, reason_clean, require_role
from sprechzeit.wallets.services import wallet_goodwill_credit

GOODWILL_ROLES = frozenset({roles.SUPPORT, roles.RISK, roles.ADMIN})


def _book(credit: GoodwillCredit) -> None:
    wallet_goodwill_credit(
        client_account=credit.client_account,
        amount=Money(credit.amount_minor, credit.currency),
        paid=credit.kind == GoodwillCredit.Kind.PAID,
        id=credit.id,
        reference=f"goodwill:{credit.id}",
    )


def _state(credit: GoodwillCredit) -> dict[str, object]:
    return {
        "status": credit.status,
        "kind": credit.kind,
        "amount": str(Money(credit.amount_minor, credit.currency)),
    }


@transaction.atomic
def goodwill_request(
    *,
    actor: User,
    client_account: ClientAccount,
    amount: Money,
    kind: GoodwillCredit.Kind,
    reason: str,
    ip: str | None = None,
) -> GoodwillCredit:
    """Credit `amount` as `kind`; booked at once within the actor's limit, else waiting
    for a second approver (`goodwill_approve`)."""
    require_role(actor, GOODWILL_ROLES)
    why = reason_clean(reason)
    currency = client_account.platform.currency
    if amount.minor <= 0 or amount.currency != currency or kind not in GoodwillCredit.Kind:
        raise GoodwillInvalid(amount_minor=amount.minor)
    within = amount <= goodwill_limit(actor, currency)
    now = clock.now()
    credit = GoodwillCredit.objects.create(
        client_account=client_account,
        kind=kind,
        amount_minor=amount.minor,
        currency=currency,
        reason=why,
        status=GoodwillCredit.Status.BOOKED if within else GoodwillCredit.Status.PENDING,
        requested_by=actor,
        requested_at=now,
        decided_at=now if within else None,
    )
    if within:
        _book(credit)
    audit_record(
        actor=actor,
        action="goodwill.credit" if within else "goodwill.request",
        target=credit,
        platform=client_account.platform,
        before=None,
        after={**_state(credit), "client": client_account.customer_number},
        reason=why,
        ip=ip,
    )
    return credit


def _decidable(actor: User, credit: GoodwillCredit) -> GoodwillCredit:
    require_role(actor, GOODWILL_ROLES)
    locked = GoodwillCredit.objects.select_for_update().get(pk=credit.pk)
    if locked.status != GoodwillCredit.Status.PENDING:
        raise GoodwillDecided()
    if locked.requested_by_id == actor.pk:
        raise GoodwillSameApprover()
    return locked


@transaction.atomic
def goodwill_approve(
    *, actor: User, credit: GoodwillCredit, note: str = "", ip: str | None = None
) -> GoodwillCredit:
    """A second staff member, not the requester, whose limit covers the amount, books it."""
    credit = _decidable(actor, credit)
    amount = Money(credit.amount_minor, credit.currency)
    if amount > goodwill_limit(actor, credit.currency):
        raise GoodwillOverLimit(amount_minor=amount.minor)
    before = _state(credit)
    credit.status = GoodwillCredit.Status.BOOKED
    credit.decided_by = actor
    credit.decided_at = clock.now()
    credit.decision_note = note.strip()[:2000]
    credit.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    _book(credit)
    audit_record(
        actor=actor,
        action="goodwill.approve",
        target=credit,
        platform=credit.client_account.platform,
        before=before,
        after=_state(credit),
        reason=credit.decision_note,
        ip=ip,
    )
    return credit


@transaction.atomic
def goodwill_reject(
    *, actor: User, credit: GoodwillCredit, note: str, ip: str | None = None
) -> GoodwillCredit:
    """A second staff member turns the request down (reason required); nothing is booked."""
    why = reason_clean(note)
    credit = _decidable(actor, credit)
    before = _state(credit)
    credit.status = GoodwillCredit.Status.REJECTED
    credit.decided_by = actor
    credit.decided_at = clock.now()
    credit.decision_note = why
    credit.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    audit_record(
        actor=actor,
        action="goodwill.reject",
        target=credit,
        platform=credit.client_account.platform,
        before=before,
        after=_state(credit),
        reason=why,
        ip=ip,
    )
    return credit
