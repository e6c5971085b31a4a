"""Dunning: a client's negative balance through the platform's plan.

A case opens when a client owes money (a lost or accepted chargeback, a return debit):
at once from the dispute's outcome, or from the run for receivables that arrived
another way. `dunning_run` (the periodic task and `sprechzeit dunning run`) first
checks every plan (`plan_problems`: a bad plan stops the run before anything is sent or
booked), then for each active case: settled when nothing is owed; an instalment plan is
followed (`instalments.plan_refresh`: paid parts ticked off, a missed part restarts the
plan); otherwise the next reminder is mailed on its day, and after the last step, on
the write-off day, the receivable is written off (`writeoffs.case_write_off`).
Reminder mails go through `notifications.mail_send` in the platform's brand, once per
(case, cycle, step).
"""

from __future__ import annotations

import itertools
import logging
from dataclasses import dataclass, field
from datetime import datetime

from django.db import IntegrityError, transaction
from django.urls import reverse

from sprechzeit.accounts.models import ClientAccount
from sprechzeit.collections import errors
from sprechzeit.collections.locks import case_lock_against_double_step
from sprechzeit.collections.models import (
    ACTIVE_CASE,
    CaseStatus,
    DunningCase,
    DunningPlan,
    DunningReminder,
)
from sprechzeit.collections.services import instalments, writeoffs
from sprechzeit.core import clock
from sprechzeit.core.money import Money
from sprechzeit.notifications.rendering import platform_link
from sprechzeit.notifications.services import mail_send
from sprechzeit.payments.models import Dispute, DisputeStatus
from sprechzeit.platforms.models import Platform
from sprechzeit.wallets import selectors as wallet_selectors
from sprechzeit.wallets import services as wallets

logger = logging.getLogger(__name__)


def dunning_plan(*, platform: Platform) -> DunningPlan:
    """The platform's plan (the defaults until staff change them)."""
    plan, _created = DunningPlan.objects.get_or_create(platform=platform)
    return plan


def plan_problems(plan: DunningPlan) -> list[str]:
    """What makes `plan` impossible to follow (empty: it is sound)."""
    days = plan.reminder_days
    problems = []
    if (
        not isinstance(days, list)
        or not days
        or not all(isinstance(d, int) and not isinstance(d, bool) and d > 0 for d in days)
    ):
        problems.append("reminder_days must be a non-empty list of positive whole days")
    elif any(b <= a for a, b in itertools.pairwise(days)):
        problems.append("reminder_days must rise strictly")
    elif plan.write_off_after_days <= days[-1]:
        problems.append("write_off_after_days must come after the last reminder")
    return problems


def plans_check() -> None:
    """Raise DunningMisconfigured naming every platform whose plan is unsound."""
    found = {
        plan.platform.slug: problems
        for plan in DunningPlan.objects.select_related("platform")
        if (problems := plan_problems(plan))
    }
    if found:
        raise errors.DunningMisconfigured(
            "; ".join(f"{slug}: {', '.join(p)}" for slug, p in sorted(found.items())),
            platforms=sorted(found),
        )


def case_open(*, client_account: ClientAccount, now: datetime | None = None) -> DunningCase:
    """The client's active case, opened now if there is none (the caller's transaction)."""
    existing = DunningCase.objects.filter(
        client_account=client_account, status__in=ACTIVE_CASE
    ).first()
    if existing is not None:
        return existing
    now = now or clock.now()
    owed = wallets.wallet_balance(client_account=client_account).receivable
    if owed.minor <= 0:
        raise errors.NothingOwed()
    try:
        with transaction.atomic():
            return DunningCase.objects.create(
                platform=client_account.platform,
                client_account=client_account,
                currency=owed.currency,
                owed_at_open_minor=owed.minor,
                opened_at=now,
                cycle_started_at=now,
            )
    except IntegrityError:  # opened by a concurrent run or decision
        return DunningCase.objects.get(client_account=client_account, status__in=ACTIVE_CASE)


def case_settle_if_paid(case: DunningCase, *, now: datetime) -> bool:
    """Close a locked case as settled when nothing is owed any more."""
    owed = wallets.wallet_balance(client_account=case.client_account).receivable
    if owed.minor > 0:
        return False
    case.status = CaseStatus.SETTLED
    case.closed_at = now
    case.save(update_fields=["status", "closed_at"])
    instalments.plans_close(case, now=now)
    return True


def reminder_send(case: DunningCase, *, step: int, steps: int, now: datetime) -> DunningReminder:
    """Mail reminder `step` of `steps` (once per case, cycle and step) and record it."""
    account = case.client_account
    platform = account.platform
    owed = wallets.wallet_balance(client_account=account).receivable
    key = f"dunning:{case.pk}:{case.cycle}:{step}"
    entity = platform.legal_entity
    mail_send(
        platform=platform,
        to=account.user,
        template="dunning_reminder",
        context={
            "user": account.user,
            "owed": owed,
            "step": step,
            "steps": steps,
            "last": step == steps,
            "entity": entity,
            "customer_number": account.customer_number,
            "pay_url": platform_link(platform, reverse("site:debt")),
        },
        key=key,
    )
    reminder, _created = DunningReminder.objects.get_or_create(
        case=case,
        cycle=case.cycle,
        step=step,
        defaults={"amount_minor": owed.minor, "sent_at": now, "mail_key": key},
    )
    case.step = step
    case.save(update_fields=["step"])
    return reminder


@dataclass
class RunResult:
    opened: int = 0
    reminded: int = 0
    settled: int = 0
    written_off: int = 0
    restarted: int = 0
    written_off_amounts: list[Money] = field(default_factory=list)

    def render(self) -> str:
        return (
            f"opened {self.opened}, reminders {self.reminded}, settled {self.settled}, "
            f"instalment plans restarted {self.restarted}, written off {self.written_off}"
        )


def cases_open_for_receivables(*, now: datetime) -> int:
    """Open a case for every client who owes money, has no active case and no
    chargeback still open (that one is decided first)."""
    opened = 0
    owing = wallet_selectors.clients_with_receivable()
    active = set(
        DunningCase.objects.filter(client_account_id__in=owing, status__in=ACTIVE_CASE).values_list(
            "client_account_id", flat=True
        )
    )
    disputed = set(
        Dispute.objects.filter(
            payment__client_account_id__in=owing, status=DisputeStatus.OPEN
        ).values_list("payment__client_account_id", flat=True)
    )
    for account in ClientAccount.objects.filter(pk__in=set(owing) - active - disputed):
        with transaction.atomic():
            case_open(client_account=account, now=now)
        opened += 1
    return opened


def case_advance(*, case_id: int, now: datetime, result: RunResult) -> None:
    """One case one step further, if one is due (its own transaction)."""
    with transaction.atomic():
        case = case_lock_against_double_step(case_id=case_id)
        if not case.active:
            return
        if case_settle_if_paid(case, now=now):
            result.settled += 1
            return
        plan = dunning_plan(platform=case.platform)
        if case.status == CaseStatus.INSTALMENTS:
            if instalments.plan_refresh(case, now=now) == "broken":
                result.restarted += 1
            return
        if not plan.enabled:
            return
        days = list(plan.reminder_days)
        age = (now - case.cycle_started_at).days
        if case.step < len(days) and age >= days[case.step]:
            reminder_send(case, step=case.step + 1, steps=len(days), now=now)
            result.reminded += 1
        elif case.step >= len(days) and age >= plan.write_off_after_days:
            write_off = writeoffs.case_write_off(
                case, now=now, actor=None, reason="dunning plan: last step passed"
            )
            result.written_off += 1
            result.written_off_amounts.append(
                Money(int(write_off.amount_minor), write_off.currency)
            )


def dunning_run(*, now: datetime | None = None) -> RunResult:
    """Advance every due case (see the module). Raises DunningMisconfigured, having done
    nothing, when a platform's plan is unsound."""
    plans_check()
    now = now or clock.now()
    result = RunResult()
    result.opened = cases_open_for_receivables(now=now)
    for case_id in DunningCase.objects.filter(status__in=ACTIVE_CASE).values_list("pk", flat=True):
        case_advance(case_id=case_id, now=now, result=result)
    logger.info("dunning run: %s", result.render())
    return result


def dunning_refresh(*, client_account_id: int) -> None:
    """After a credit to the client (a debt payment, an instalment): tick off what is
    paid and close the case when nothing is owed. Sends nothing."""
    now = clock.now()
    for case_id in DunningCase.objects.filter(
        client_account_id=client_account_id, status__in=ACTIVE_CASE
    ).values_list("pk", flat=True):
        with transaction.atomic():
            case = case_lock_against_double_step(case_id=case_id)
            if case_settle_if_paid(case, now=now):
                continue
            if case.status == CaseStatus.INSTALMENTS:
                instalments.plan_refresh(case, now=now, restart=False)
