"""Collections reads: the risk queues and a client's debt. Tenant-owned reads take the
platform (or its client) first."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet

from sprechzeit.accounts.models import ClientAccount
from sprechzeit.collections.models import (
    ACTIVE_CASE,
    DunningCase,
    Instalment,
    InstalmentPlan,
    PlanStatus,
)
from sprechzeit.core.money import Money
from sprechzeit.payments.models import (
    BankEntry,
    BankEntryStatus,
    Dispute,
    DisputeStatus,
    InboxEntry,
    InboxStatus,
    Payment,
    PaymentStatus,
    RefundRequest,
    RefundRequestStatus,
)
from sprechzeit.wallets import services as wallets


def disputes_open() -> QuerySet[Dispute]:
    return (
        Dispute.objects.filter(status=DisputeStatus.OPEN)
        .select_related("payment__client_account__user", "payment__platform")
        .order_by("opened_at", "pk")
    )


def disputes_decided(*, limit: int = 30) -> QuerySet[Dispute]:
    return (
        Dispute.objects.exclude(status=DisputeStatus.OPEN)
        .select_related("payment__client_account__user", "payment__platform")
        .order_by("-closed_at", "-pk")[:limit]
    )


def refund_requests_open() -> QuerySet[RefundRequest]:
    return (
        RefundRequest.objects.filter(status=RefundRequestStatus.REQUESTED)
        .select_related("client_account__user", "client_account__platform", "first_approval")
        .order_by("created_at", "pk")
    )


def bank_entries_unmatched() -> QuerySet[BankEntry]:
    return (
        BankEntry.objects.filter(status=BankEntryStatus.REVIEW)
        .select_related("provider_config__platform", "statement")
        .order_by("booking_date", "pk")
    )


def inbox_entries_failed() -> QuerySet[InboxEntry]:
    return (
        InboxEntry.objects.filter(status__in=[InboxStatus.FAILED, InboxStatus.REVIEW])
        .select_related("provider_config__platform")
        .order_by("received_at", "pk")
    )


def cases_active() -> QuerySet[DunningCase]:
    return (
        DunningCase.objects.filter(status__in=ACTIVE_CASE)
        .select_related("client_account__user", "platform")
        .order_by("opened_at", "pk")
    )


def case_of(client_account: ClientAccount) -> DunningCase | None:
    """The client's active dunning case, if any."""
    return DunningCase.objects.filter(client_account=client_account, status__in=ACTIVE_CASE).first()


def refund_channels(request: RefundRequest, amount: Money) -> list[tuple[Payment, Money]]:
    """Where approving `amount` would send the money: the client's credited payments,
    latest first, each up to what is still refundable on it (as the approval books)."""
    remaining = amount
    parts = []
    for payment in Payment.objects.filter(
        client_account=request.client_account,
        status=PaymentStatus.SUCCEEDED,
        credited_at__isnull=False,
    ).order_by("-created_at"):
        if remaining.minor <= 0:
            break
        part = min(payment.refundable, remaining)
        if part.minor > 0:
            parts.append((payment, part))
            remaining = remaining - part
    return parts


def next_instalment(plan: InstalmentPlan) -> tuple[Instalment, Money] | None:
    """The first unpaid instalment of a plan and what is still due on it."""
    case = plan.case
    owed = wallets.wallet_balance(client_account=case.client_account).receivable
    paid = int(plan.owed_at_start_minor) - owed.minor if plan.accepted_at else 0
    covered = 0
    for instalment in plan.instalments.order_by("number"):
        covered += int(instalment.amount_minor)
        if covered > paid:
            due = min(covered - paid, int(instalment.amount_minor), owed.minor)
            return instalment, Money(due, case.currency)
    return None


@dataclass(frozen=True, slots=True)
class Debt:
    """What the client's wallet page shows about a negative balance."""

    owed: Money
    case: DunningCase | None
    plan: InstalmentPlan | None
    pay_now: Money  # the next instalment's open part, else everything owed


def debt_of(client_account: ClientAccount) -> Debt | None:
    owed = wallets.wallet_balance(client_account=client_account).receivable
    if owed.minor <= 0:
        return None
    case = case_of(client_account)
    plan = (
        InstalmentPlan.objects.filter(case=case, status__in=[PlanStatus.OFFERED, PlanStatus.ACTIVE])
        .prefetch_related("instalments")
        .first()
        if case is not None
        else None
    )
    pay_now = owed
    if plan is not None and plan.status == PlanStatus.ACTIVE:
        upcoming = next_instalment(plan)
        if upcoming is not None:
            pay_now = upcoming[1]
    return Debt(owed=owed, case=case, plan=plan, pay_now=pay_now)


def disputes_of(client_account: ClientAccount) -> QuerySet[Dispute]:
    """The client's chargebacks, newest first."""
    return Dispute.objects.filter(payment__client_account=client_account).order_by("-opened_at")
