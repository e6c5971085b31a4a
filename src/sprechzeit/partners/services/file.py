"""The partner file's actions: suspend and reactivate, adjustments (bonus, correction,
penalty) with a reason, booked at once up to the platform's limit, above it only when a
second staff member approves. Each action writes one audit entry in its transaction."""

from __future__ import annotations

from django.db import transaction

from sprechzeit.accounts.models import Listing, Partner, User
from sprechzeit.audit.services import audit_record
from sprechzeit.consultations.models import PartnerPresence
from sprechzeit.consultations.services import presence_set
from sprechzeit.core import clock
from sprechzeit.core.money import Money
from sprechzeit.partners import errors
from sprechzeit.partners.models import AdjustmentRequest
from sprechzeit.partners.services.common import clean_text, settings_of
from sprechzeit.platforms.models import Platform
from sprechzeit.statements.models import Adjustment
from sprechzeit.statements.services import adjustment_create

_KIND_ON_STATEMENT = {
    AdjustmentRequest.Kind.BONUS: Adjustment.Kind.BONUS,
    AdjustmentRequest.Kind.CORRECTION: Adjustment.Kind.CORRECTION,
    AdjustmentRequest.Kind.PENALTY: Adjustment.Kind.CORRECTION,
}


def _reason(reason: str) -> str:
    cleaned = clean_text(reason, limit=200)
    if not cleaned:
        raise errors.ReasonMissing()
    return cleaned


@transaction.atomic
def partner_suspend(*, partner: Partner, actor: User, reason: str, ip: str | None = None) -> None:
    """Offline at once, no consultations, listings hidden until reactivated."""
    reason = _reason(reason)
    locked = Partner.objects.select_for_update().get(pk=partner.pk)
    if locked.suspended_at is not None:
        return
    locked.suspended_at = clock.now()
    locked.suspended_reason = reason
    locked.save(update_fields=["suspended_at", "suspended_reason"])
    presence_set(partner=locked, status=PartnerPresence.Status.OFFLINE)
    audit_record(
        actor=actor,
        action="partner.suspend",
        target=locked,
        before={"suspended": False},
        after={"suspended": True},
        reason=reason,
        ip=ip,
    )
    partner.suspended_at, partner.suspended_reason = locked.suspended_at, reason


@transaction.atomic
def partner_reactivate(
    *, partner: Partner, actor: User, reason: str, ip: str | None = None
) -> None:
    reason = _reason(reason)
    locked = Partner.objects.select_for_update().get(pk=partner.pk)
    if locked.suspended_at is None:
        return
    before = {"suspended": True, "reason": locked.suspended_reason}
    locked.suspended_at = None
    locked.suspended_reason = ""
    locked.save(update_fields=["suspended_at", "suspended_reason"])
    audit_record(
        actor=actor,
        action="partner.reactivate",
        target=locked,
        before=before,
        after={"suspended": False},
        reason=reason,
        ip=ip,
    )
    partner.suspended_at, partner.suspended_reason = None, ""


def _book(request: AdjustmentRequest) -> Adjustment:
    label = request.get_kind_display()
    return adjustment_create(
        partner=request.partner,
        platform=request.platform,
        kind=_KIND_ON_STATEMENT[AdjustmentRequest.Kind(request.kind)],
        amount=Money(request.amount_minor, request.currency),
        description=f"{label}: {request.reason}"[:200],
    )


@transaction.atomic
def adjustment_request(
    *,
    partner: Partner,
    platform: Platform,
    kind: str,
    amount: Money,
    reason: str,
    actor: User,
    ip: str | None = None,
) -> AdjustmentRequest:
    """Enter an adjustment. A bonus is positive, a penalty negative, a correction either.
    Up to the platform's limit (absolute amount) it is booked on the ledger now; above
    it it waits for a second approver (`adjustment_approve`)."""
    reason = _reason(reason)
    kind = AdjustmentRequest.Kind(kind)
    if (
        not amount
        or (kind == AdjustmentRequest.Kind.BONUS and amount.minor < 0)
        or (kind == AdjustmentRequest.Kind.PENALTY and amount.minor > 0)
    ):
        raise errors.AdjustmentInvalid()
    if not Listing.objects.filter(partner=partner, platform=platform).exists():
        raise errors.AdjustmentInvalid()
    now = clock.now()
    request = AdjustmentRequest.objects.create(
        partner=partner,
        platform=platform,
        kind=kind,
        amount_minor=amount.minor,
        currency=amount.currency,
        reason=reason,
        requested_by=actor,
        requested_at=now,
    )
    if abs(amount.minor) <= settings_of(platform).adjustment_limit_minor:
        request.adjustment = _book(request)
        request.status = AdjustmentRequest.Status.BOOKED
        request.decided_at = now
        request.save(update_fields=["adjustment", "status", "decided_at"])
    audit_record(
        actor=actor,
        action="partner.adjustment",
        target=request,
        platform=platform,
        after={
            "partner": partner.pk,
            "kind": kind,
            "amount_minor": amount.minor,
            "status": request.status,
        },
        reason=reason,
        ip=ip,
    )
    return request


def _pending(request_id: int, actor: User) -> AdjustmentRequest:
    request = (
        AdjustmentRequest.objects.select_for_update(of=("self",))
        .select_related("partner", "platform")
        .get(pk=request_id)
    )
    if request.status != AdjustmentRequest.Status.PENDING:
        raise errors.AdjustmentDecided()
    if request.requested_by_id == actor.pk:
        raise errors.SecondApproverRequired()
    return request


@transaction.atomic
def adjustment_approve(*, request_id: int, actor: User, ip: str | None = None) -> AdjustmentRequest:
    """A second staff member (not the one who entered it) approves: booked now."""
    request = _pending(request_id, actor)
    request.adjustment = _book(request)
    request.status = AdjustmentRequest.Status.BOOKED
    request.decided_by = actor
    request.decided_at = clock.now()
    request.save(update_fields=["adjustment", "status", "decided_by", "decided_at"])
    audit_record(
        actor=actor,
        action="partner.adjustment_approve",
        target=request,
        platform=request.platform,
        before={"status": AdjustmentRequest.Status.PENDING},
        after={"status": request.status, "amount_minor": request.amount_minor},
        ip=ip,
    )
    return request


@transaction.atomic
def adjustment_reject(
    *, request_id: int, actor: User, reason: str, ip: str | None = None
) -> AdjustmentRequest:
    reason = _reason(reason)
    request = _pending(request_id, actor)
    request.status = AdjustmentRequest.Status.REJECTED
    request.decided_by = actor
    request.decided_at = clock.now()
    request.save(update_fields=["status", "decided_by", "decided_at"])
    audit_record(
        actor=actor,
        action="partner.adjustment_reject",
        target=request,
        platform=request.platform,
        before={"status": AdjustmentRequest.Status.PENDING},
        after={"status": request.status},
        reason=reason,
        ip=ip,
    )
    return request
