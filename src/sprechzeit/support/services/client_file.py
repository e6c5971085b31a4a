"""Staff actions on a client's file: notes, block and unblock, the phone PIN's lock,
deposit limit and exclusion (only ever stricter at once), a refund request on the
client's behalf, closing the account, and reading a chat transcript. Each writes one
audit entry in its own transaction."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from django.db import transaction

from sprechzeit.accounts import roles
from sprechzeit.accounts.models import ClientAccount, User
from sprechzeit.accounts.phone_pin import client_pin_unlock
from sprechzeit.audit.services import audit_record
from sprechzeit.consultations.models import ChatMessage, Consultation
from sprechzeit.core import clock
from sprechzeit.core.money import Money
from sprechzeit.payments.models import RefundRequest
from sprechzeit.payments.services.refunds import refund_request_create
from sprechzeit.support.errors import AlreadyBlocked, ExclusionNotLonger
from sprechzeit.support.models import StaffNote
from sprechzeit.support.services.closure import Closure, client_account_close
from sprechzeit.support.services.common import (
    TRANSCRIPT_ROLES,
    reason_clean,
    require_role,
)
from sprechzeit.wallets import services as wallets
from sprechzeit.wallets.state import wallet_state

FILE_ROLES = frozenset({roles.SUPPORT, roles.RISK, roles.ADMIN})
UNBLOCK_ROLES = frozenset({roles.RISK, roles.ADMIN})
CLOSE_ROLES = frozenset({roles.SUPPORT, roles.ADMIN})


def _audit(
    actor: User,
    action: str,
    account: ClientAccount,
    *,
    before: Mapping[str, object] | None,
    after: Mapping[str, object] | None,
    reason: str = "",
    ip: str | None,
) -> None:
    audit_record(
        actor=actor,
        action=action,
        target=account,
        platform=account.platform,
        before=before,
        after=after,
        reason=reason,
        ip=ip,
    )


@transaction.atomic
def staff_note_add(
    *, actor: User, client_account: ClientAccount, text: str, ip: str | None = None
) -> StaffNote:
    require_role(actor, FILE_ROLES)
    body = reason_clean(text)
    note = StaffNote.objects.create(
        client_account=client_account, author=actor, text=body, created_at=clock.now()
    )
    _audit(actor, "client.note", client_account, before=None, after={"note": note.pk}, ip=ip)
    return note


@transaction.atomic
def staff_client_block(
    *, actor: User, client_account: ClientAccount, reason: str, ip: str | None = None
) -> None:
    require_role(actor, FILE_ROLES)
    why = reason_clean(reason)
    before = wallet_state(client_account)
    if before.blocked_at is not None:
        # Never overwrite a block's reason (a chargeback block lifts itself when paid).
        raise AlreadyBlocked(reason=before.blocked_reason)
    was = {"blocked": False, "reason": ""}
    wallets.wallet_block(client_account=client_account, reason=why[:200])
    after = {"blocked": True, "reason": why[:200]}
    _audit(actor, "client.block", client_account, before=was, after=after, reason=why, ip=ip)


@transaction.atomic
def staff_client_unblock(
    *, actor: User, client_account: ClientAccount, reason: str, ip: str | None = None
) -> None:
    """Lift a block (a chargeback block too: risk's and admin's decision)."""
    require_role(actor, UNBLOCK_ROLES)
    why = reason_clean(reason)
    before = wallet_state(client_account)
    was = {"blocked": before.blocked_at is not None, "reason": before.blocked_reason}
    wallets.wallet_unblock(client_account=client_account)
    after = {"blocked": False}
    _audit(actor, "client.unblock", client_account, before=was, after=after, reason=why, ip=ip)


@transaction.atomic
def staff_pin_unlock(*, actor: User, client_account: ClientAccount, ip: str | None = None) -> bool:
    """Lift the phone PIN's lock (`accounts.phone_pin`); False when it was not locked."""
    require_role(actor, FILE_ROLES)
    unlocked = client_pin_unlock(account=client_account, by=actor.email)
    _audit(
        actor,
        "client.pin_unlock",
        client_account,
        before={"locked": unlocked},
        after={"locked": False},
        ip=ip,
    )
    return unlocked


@transaction.atomic
def staff_deposit_limit(
    *,
    actor: User,
    client_account: ClientAccount,
    limit: Money | None,
    reason: str,
    ip: str | None = None,
) -> wallets.DepositLimit:
    """Set the monthly deposit limit as the client would: lowering at once, raising or
    removing only after the platform's cooling-off period (`wallet_set_deposit_limit`)."""
    require_role(actor, FILE_ROLES)
    why = reason_clean(reason)
    current = wallets.wallet_deposit_limit(client_account=client_account)
    result = wallets.wallet_set_deposit_limit(client_account=client_account, limit=limit)
    _audit(
        actor,
        "client.deposit_limit",
        client_account,
        before={"limit": str(current) if current is not None else None},
        after={
            "limit": str(result.current) if result.current is not None else None,
            "pending": str(result.pending) if result.pending is not None else None,
            "pending_from": result.pending_from,
        },
        reason=why,
        ip=ip,
    )
    return result


@transaction.atomic
def staff_exclusion_extend(
    *,
    actor: User,
    client_account: ClientAccount,
    until: datetime,
    reason: str,
    ip: str | None = None,
) -> datetime:
    """Exclude the client until `until`: only ever later than now and than any exclusion
    in force (ExclusionNotLonger otherwise); nobody shortens one."""
    require_role(actor, FILE_ROLES)
    why = reason_clean(reason)
    before = wallet_state(client_account).excluded_until
    if until <= clock.now() or (before is not None and until <= before):
        raise ExclusionNotLonger(until=until.isoformat())
    state = wallets.wallet_self_exclude(client_account=client_account, until=until)
    assert state.excluded_until is not None
    _audit(
        actor,
        "client.exclusion",
        client_account,
        before={"excluded_until": before},
        after={"excluded_until": state.excluded_until},
        reason=why,
        ip=ip,
    )
    return state.excluded_until


@transaction.atomic
def staff_refund_request(
    *,
    actor: User,
    client_account: ClientAccount,
    amount: Money | None,
    reason: str,
    ip: str | None = None,
) -> RefundRequest:
    """Ask for a refund on the client's behalf; it joins risk's refund queue like the
    client's own request (`payments.services.refunds.refund_request_create`)."""
    require_role(actor, FILE_ROLES)
    why = reason_clean(reason)
    request = refund_request_create(client_account=client_account, amount=amount)
    _audit(
        actor,
        "client.refund_request",
        client_account,
        before=None,
        after={
            "refund_request": request.pk,
            "amount": str(Money(request.amount_minor, request.currency)),
        },
        reason=why,
        ip=ip,
    )
    return request


@transaction.atomic
def staff_client_close(
    *, actor: User, client_account: ClientAccount, reason: str, ip: str | None = None
) -> Closure:
    """Close the account with the client's own service (refund request for the unused
    paid balance, login deactivated)."""
    require_role(actor, CLOSE_ROLES)
    why = reason_clean(reason)
    closure = client_account_close(account=client_account)
    refund = closure.refund_request
    _audit(
        actor,
        "client.close",
        client_account,
        before={"active": True},
        after={"active": False, "refund_request": refund.pk if refund is not None else None},
        reason=why,
        ip=ip,
    )
    return closure


@transaction.atomic
def transcript_read(
    *, actor: User, consultation: Consultation, ip: str | None = None
) -> list[ChatMessage]:
    """A consultation's chat for support and admin only; every read is an audit entry."""
    require_role(actor, TRANSCRIPT_ROLES)
    messages = list(ChatMessage.objects.filter(consultation=consultation).order_by("sent_at", "pk"))
    audit_record(
        actor=actor,
        action="client.transcript_read",
        target=consultation,
        platform=consultation.platform,
        before=None,
        after={"messages": len(messages)},
        ip=ip,
    )
    return messages
