"""Staff decide a client's refund request: in full or in part (a smaller amount), never
above what is refundable now (the error says how much is), and above the platform's
four-eyes amount with two different people of the risk role: the first approval is
recorded (`RefundApproval`), the second carries it out. One audit entry per action."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from sprechzeit.accounts import roles
from sprechzeit.accounts.models import User
from sprechzeit.audit.services import audit_record
from sprechzeit.collections import errors
from sprechzeit.collections.locks import refund_request_lock_against_double_decision
from sprechzeit.collections.models import RefundApproval, RiskSettings
from sprechzeit.core import clock
from sprechzeit.core.money import Money
from sprechzeit.payments.models import Refund, RefundRequest, RefundRequestStatus
from sprechzeit.payments.services import refunds as payment_refunds
from sprechzeit.platforms.models import Platform


def risk_settings(*, platform: Platform) -> RiskSettings:
    """The platform's risk settings (defaults until staff change them)."""
    settings, _created = RiskSettings.objects.get_or_create(platform=platform)
    return settings


def has_risk_role(user: User) -> bool:
    return bool(user.is_superuser) or (
        bool(user.is_staff) and user.groups.filter(name=roles.RISK).exists()
    )


@dataclass(frozen=True, slots=True)
class RefundDecision:
    """`refunds` booked now, or `awaiting_second` after a first approval."""

    refunds: list[Refund]
    awaiting_second: RefundApproval | None


def _first_approval(
    *, actor: User, request: RefundRequest, amount: Money, reason: str, ip: str | None
) -> RefundDecision:
    with transaction.atomic():
        locked = refund_request_lock_against_double_decision(request_id=request.pk)
        if locked.status != RefundRequestStatus.REQUESTED:
            raise errors.RefundDecided()
        if RefundApproval.objects.filter(request=locked).exists():
            raise errors.FourEyesRequired()
        payment_refunds.refund_amount_check(request=locked, amount=amount)
        approval = RefundApproval.objects.create(
            request=locked, approved_by=actor, amount_minor=amount.minor, approved_at=clock.now()
        )
        audit_record(
            actor=actor,
            action="refund.approve_first",
            target=locked,
            platform=locked.client_account.platform,
            before={"status": locked.status},
            after={"status": locked.status, "approved_minor": amount.minor, "second_needed": True},
            reason=reason,
            ip=ip,
        )
    return RefundDecision(refunds=[], awaiting_second=approval)


def refund_decide_approve(
    *,
    actor: User,
    request: RefundRequest,
    amount: Money | None = None,
    reason: str = "",
    ip: str | None = None,
) -> RefundDecision:
    """Approve `amount` (None: as requested; less: a partial refund). Above the
    platform's four-eyes amount the first approval only records itself; a second,
    different person of the risk role approves the same amount and the refund is made."""
    if not has_risk_role(actor):
        raise errors.RiskRoleRequired()
    requested = Money(int(request.amount_minor), request.currency)
    first = RefundApproval.objects.filter(request=request).select_related("approved_by").first()
    if first is not None:
        wanted = Money(int(first.amount_minor), request.currency)
        if amount is not None and amount != wanted:
            raise errors.RefundAmountInvalid(approved_minor=wanted.minor)
    else:
        wanted = requested if amount is None else amount
    if not 0 < wanted.minor <= requested.minor:
        raise errors.RefundAmountInvalid(requested_minor=requested.minor)
    threshold = risk_settings(platform=request.client_account.platform).refund_four_eyes_minor
    if first is None and wanted.minor > threshold:
        return _first_approval(actor=actor, request=request, amount=wanted, reason=reason, ip=ip)

    def booked(locked: RefundRequest, made: list[Refund]) -> None:
        second = RefundApproval.objects.select_for_update().filter(request=locked).first()
        if second is not None and second.approved_by_id == actor.pk:
            raise errors.FourEyesRequired()
        audit_record(
            actor=actor,
            action="refund.approve",
            target=locked,
            platform=locked.client_account.platform,
            before={"status": RefundRequestStatus.REQUESTED, "requested_minor": requested.minor},
            after={
                "status": locked.status,
                "approved_minor": wanted.minor,
                "first_approval_by": second.approved_by.email if second is not None else None,
                "refunds": [
                    {
                        "payment": str(r.payment_id),
                        "channel": r.payment.channel,
                        "minor": r.amount_minor,
                    }
                    for r in made
                ],
            },
            reason=reason,
            ip=ip,
        )

    if first is not None and first.approved_by_id == actor.pk:
        raise errors.FourEyesRequired()
    made = payment_refunds.refund_request_approve(
        request=request, staff=actor.email, amount=wanted, on_booked=booked
    )
    return RefundDecision(refunds=made, awaiting_second=None)


@transaction.atomic
def refund_decide_reject(
    *, actor: User, request: RefundRequest, reason: str, ip: str | None = None
) -> RefundRequest:
    """Reject the request with a reason (the client is told by mail)."""
    if not reason.strip():
        raise errors.ReasonRequired()
    locked = refund_request_lock_against_double_decision(request_id=request.pk)
    if locked.status != RefundRequestStatus.REQUESTED:
        raise errors.RefundDecided()
    payment_refunds.refund_request_reject(request=locked, staff=actor.email)
    audit_record(
        actor=actor,
        action="refund.reject",
        target=locked,
        platform=locked.client_account.platform,
        before={"status": RefundRequestStatus.REQUESTED},
        after={"status": locked.status},
        reason=reason.strip(),
        ip=ip,
    )
    return locked
