"""Instalment plans: the debt of a dunning case in parts.

Staff agree a plan with the client (active at once) or offer one the client accepts on
the wallet page. While a plan is active the case sends no reminders. Every payment the
client makes settles the receivable first (`wallets.wallet_credit`), so what was paid
since the plan began is the receivable then minus the receivable now; the instalments
it covers, in order, are ticked off with the payment that completed them. An instalment
still unpaid `instalment_grace_days` after its day breaks the plan: the case is back in
dunning with its reminders from the first step (a new cycle).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Final, Literal

from django.db import transaction
from django.utils import timezone

from sprechzeit.accounts.models import ClientAccount, User
from sprechzeit.audit.services import audit_record
from sprechzeit.collections import errors
from sprechzeit.collections.locks import case_lock_against_double_step
from sprechzeit.collections.models import (
    CaseStatus,
    DunningCase,
    DunningPlan,
    Instalment,
    InstalmentPlan,
    PlanStatus,
)
from sprechzeit.core import clock
from sprechzeit.payments.models import Payment, PaymentStatus
from sprechzeit.wallets import services as wallets

MIN_COUNT: Final = 2
MAX_COUNT: Final = 12
MIN_INTERVAL: Final = 7
MAX_INTERVAL: Final = 62


def instalment_amounts(total_minor: int, count: int) -> list[int]:
    """`total_minor` in `count` parts that differ by at most a cent (first ones larger)."""
    base, rest = divmod(total_minor, count)
    return [base + (1 if i < rest else 0) for i in range(count)]


def plan_current(case: DunningCase) -> InstalmentPlan | None:
    """The case's offered or active plan, if any."""
    return (
        InstalmentPlan.objects.filter(case=case, status__in=[PlanStatus.OFFERED, PlanStatus.ACTIVE])
        .prefetch_related("instalments")
        .first()
    )


def _activate(plan: InstalmentPlan, case: DunningCase, *, now: datetime) -> None:
    owed = wallets.wallet_balance(client_account=case.client_account).receivable
    plan.status = PlanStatus.ACTIVE
    plan.accepted_at = now
    plan.owed_at_start_minor = owed.minor
    plan.save(update_fields=["status", "accepted_at", "owed_at_start_minor"])
    case.status = CaseStatus.INSTALMENTS
    case.save(update_fields=["status"])


@transaction.atomic
def instalment_plan_create(
    *,
    actor: User,
    case: DunningCase,
    count: int,
    interval_days: int,
    first_due_on: date,
    offer: bool = False,
    reason: str = "",
    ip: str | None = None,
) -> InstalmentPlan:
    """Split what the client owes now into `count` instalments; `offer`: the client
    accepts it first, else it is agreed (active) at once."""
    now = clock.now()
    if not (
        MIN_COUNT <= count <= MAX_COUNT
        and MIN_INTERVAL <= interval_days <= MAX_INTERVAL
        and first_due_on >= timezone.localdate(now)
    ):
        raise errors.InstalmentPlanInvalid(count=count, interval_days=interval_days)
    locked = case_lock_against_double_step(case_id=case.pk)
    if locked.status != CaseStatus.OPEN:
        raise errors.CaseClosed() if not locked.active else errors.InstalmentPlanExists()
    if plan_current(locked) is not None:
        raise errors.InstalmentPlanExists()
    owed = wallets.wallet_balance(client_account=locked.client_account).receivable
    if owed.minor <= 0:
        raise errors.NothingOwed()
    plan = InstalmentPlan.objects.create(
        case=locked,
        status=PlanStatus.OFFERED,
        total_minor=owed.minor,
        count=count,
        interval_days=interval_days,
        first_due_on=first_due_on,
        created_by=actor,
        created_at=now,
    )
    for number, amount in enumerate(instalment_amounts(owed.minor, count), start=1):
        Instalment.objects.create(
            plan=plan,
            number=number,
            amount_minor=amount,
            due_on=first_due_on + timedelta(days=interval_days * (number - 1)),
        )
    if not offer:
        _activate(plan, locked, now=now)
    audit_record(
        actor=actor,
        action="dunning.instalments_offer" if offer else "dunning.instalments_agree",
        target=locked,
        platform=locked.platform,
        before={"status": CaseStatus.OPEN},
        after={
            "plan": plan.pk,
            "status": plan.status,
            "total_minor": owed.minor,
            "count": count,
            "interval_days": interval_days,
            "first_due_on": first_due_on.isoformat(),
        },
        reason=reason,
        ip=ip,
    )
    return plan


@transaction.atomic
def instalment_plan_answer(
    *, client_account: ClientAccount, plan: InstalmentPlan, accept: bool
) -> InstalmentPlan:
    """The client accepts (the plan becomes active) or declines an offered plan."""
    case = case_lock_against_double_step(case_id=plan.case_id)
    locked = InstalmentPlan.objects.select_for_update().get(pk=plan.pk)
    if case.client_account_id != client_account.pk or locked.status != PlanStatus.OFFERED:
        raise errors.InstalmentPlanInvalid()
    if accept:
        _activate(locked, case, now=clock.now())
    else:
        locked.status = PlanStatus.DECLINED
        locked.closed_at = clock.now()
        locked.save(update_fields=["status", "closed_at"])
    return locked


def _tick_paid(plan: InstalmentPlan, paid_minor: int, *, now: datetime) -> list[Instalment]:
    """Tick off the instalments `paid_minor` covers; the open ones in order."""
    covered = 0
    unpaid = []
    latest = (
        Payment.objects.filter(
            client_account=plan.case.client_account,
            status=PaymentStatus.SUCCEEDED,
            credited_at__gte=plan.accepted_at,
        )
        .order_by("-credited_at")
        .first()
    )
    for instalment in plan.instalments.order_by("number"):
        covered += int(instalment.amount_minor)
        if instalment.paid_at is not None:
            continue
        if covered <= paid_minor:
            instalment.paid_at = now
            instalment.payment = latest
            instalment.save(update_fields=["paid_at", "payment"])
        else:
            unpaid.append(instalment)
    return unpaid


def plan_refresh(
    case: DunningCase, *, now: datetime, restart: bool = True
) -> Literal["none", "ok", "completed", "broken"]:
    """Follow the active plan of a locked case (see the module); `restart=False` only
    ticks off payments (after a credit), it never breaks a plan."""
    plan = InstalmentPlan.objects.filter(case=case, status=PlanStatus.ACTIVE).first()
    if plan is None:
        return "none"
    owed = wallets.wallet_balance(client_account=case.client_account).receivable
    unpaid = _tick_paid(plan, int(plan.owed_at_start_minor) - owed.minor, now=now)
    if not unpaid:
        plan.status = PlanStatus.COMPLETED
        plan.closed_at = now
        plan.save(update_fields=["status", "closed_at"])
        return "completed"
    grace = (
        DunningPlan.objects.filter(platform=case.platform)
        .values_list("instalment_grace_days", flat=True)
        .first()
    )
    today = timezone.localdate(now)
    if restart and unpaid[0].due_on + timedelta(days=grace or 0) < today:
        plan.status = PlanStatus.BROKEN
        plan.closed_at = now
        plan.save(update_fields=["status", "closed_at"])
        case.status = CaseStatus.OPEN
        case.cycle += 1
        case.step = 0
        case.cycle_started_at = now
        case.save(update_fields=["status", "cycle", "step", "cycle_started_at"])
        return "broken"
    return "ok"


def plans_close(case: DunningCase, *, now: datetime) -> None:
    """The case is settled: an active plan is paid, an offered one falls away."""
    for plan in InstalmentPlan.objects.filter(
        case=case, status__in=[PlanStatus.OFFERED, PlanStatus.ACTIVE]
    ):
        if plan.status == PlanStatus.ACTIVE:
            _tick_paid(plan, int(plan.owed_at_start_minor), now=now)
            plan.status = PlanStatus.COMPLETED
        else:
            plan.status = PlanStatus.DECLINED
        plan.closed_at = now
        plan.save(update_fields=["status", "closed_at"])
