"""Dunning on the clock: reminders on the plan's days (mailed once, in the platform's
brand), instalment plans (paid off: the client is free; missed: dunning restarts), the
write-off after the last step (a record for the accountant, the partner untouched), a
misconfigured plan stopping the run loudly."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from sprechzeit.audit.models import AuditEntry
from sprechzeit.collections import errors
from sprechzeit.collections.models import (
    CaseStatus,
    DunningCase,
    DunningPlan,
    DunningReminder,
    PlanStatus,
    WriteOff,
)
from sprechzeit.collections.selectors import debt_of
from sprechzeit.collections.services.disputes import dispute_outcome
from sprechzeit.collections.services.dunning import dunning_plan, dunning_run
from sprechzeit.collections.services.instalments import (
    instalment_amounts,
    instalment_plan_answer,
    instalment_plan_create,
)
from sprechzeit.collections.services.writeoffs import dunning_write_off
from sprechzeit.collections.tests.factories import charged_back, eur, risk_staff
from sprechzeit.core import clock
from sprechzeit.ledger import selectors as ledger_selectors
from sprechzeit.ledger.models import Account, AccountPurpose
from sprechzeit.ledger.tests.helpers import assert_ledger_sound
from sprechzeit.notifications.models import OutboundMail
from sprechzeit.payments.models import DisputeStatus, Payment
from sprechzeit.payments.services.sandbox import sandbox_deliver
from sprechzeit.payments.tests.factories import sandbox_payment
from sprechzeit.wallets import errors as wallet_errors
from sprechzeit.wallets import services as wallets

pytestmark = pytest.mark.django_db

START = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
type Capture = Callable[..., AbstractContextManager[Any]]


def _in_dunning() -> tuple[Any, Any, DunningCase]:
    with clock.frozen_at(START):
        account, policy, _payment, dispute = charged_back(top_up=3000, spent=2400)
        case = dispute_outcome(actor=risk_staff(), dispute=dispute, outcome=DisputeStatus.LOST)
    assert case is not None
    return account, policy, case


def _run_on(day: int) -> None:
    with clock.frozen_at(START + timedelta(days=day, hours=1)):
        dunning_run()


def _pay(account: Any, policy: Any, minor: int, day: int, capture: Capture) -> Payment:
    """The client pays `minor` through the sandbox (blocked, but paying a debt)."""
    with clock.frozen_at(START + timedelta(days=day)), capture(execute=True):
        payment = sandbox_payment(account=account, policy=policy, minor=minor)
        sandbox_deliver(payment=payment, event_type="payment.succeeded")
    return payment


def test_reminders_on_the_plans_days_then_the_write_off() -> None:
    account, _policy, case = _in_dunning()
    payables = [
        ledger_selectors.account_balance(account=a).posted
        for a in Account.objects.filter(purpose=AccountPurpose.PARTNER_PAYABLE)
    ]
    for day in (0, 6):
        _run_on(day)
    assert not OutboundMail.objects.filter(template="dunning_reminder").exists()
    for day in (7, 8, 14, 27, 28, 59):
        _run_on(day)
    mails = OutboundMail.objects.filter(template="dunning_reminder").order_by("created_at")
    assert mails.count() == 3
    assert "24,00" in mails[0].subject
    assert mails[0].to_email == account.user.email
    assert "Letzte" in mails[2].subject
    assert list(DunningReminder.objects.values_list("step", flat=True)) == [1, 2, 3]
    _run_on(60)
    case.refresh_from_db()
    assert case.status == CaseStatus.WRITTEN_OFF
    write_off = WriteOff.objects.get(case=case)
    assert (write_off.amount_minor, write_off.by) == (2400, None)
    assert wallets.wallet_balance(client_account=account).receivable == eur(0)
    loss = Account.objects.get(purpose=AccountPurpose.CHARGEBACK_LOSS)
    assert ledger_selectors.account_balance(account=loss).posted == eur(2400)
    assert [
        ledger_selectors.account_balance(account=a).posted
        for a in Account.objects.filter(purpose=AccountPurpose.PARTNER_PAYABLE)
    ] == payables
    assert AuditEntry.objects.filter(action="dunning.write_off", actor=None).count() == 1
    with pytest.raises(wallet_errors.WalletBlocked):  # the block stays until staff lift it
        wallets.wallet_check_spend(client_account=account)
    _run_on(61)
    assert OutboundMail.objects.filter(template="dunning_reminder").count() == 3
    assert_ledger_sound()


def test_a_misconfigured_plan_stops_the_run_before_anything_is_sent() -> None:
    account, _policy, _case = _in_dunning()
    plan = dunning_plan(platform=account.platform)
    plan.reminder_days = [14, 7]
    plan.save()
    with clock.frozen_at(START + timedelta(days=30)):
        with pytest.raises(errors.DunningMisconfigured) as refused:
            dunning_run()
        assert account.platform.slug in str(refused.value.message)
        with pytest.raises(CommandError):
            call_command("dunning", "run")
    assert not OutboundMail.objects.filter(template="dunning_reminder").exists()
    DunningPlan.objects.filter(pk=plan.pk).update(reminder_days=[7], write_off_after_days=7)
    with pytest.raises(CommandError):
        call_command("dunning", "check")


def test_instalments_paid_off_free_the_client(
    django_capture_on_commit_callbacks: Capture,
) -> None:
    account, policy, case = _in_dunning()
    _run_on(7)
    _run_on(14)
    assert OutboundMail.objects.filter(template="dunning_reminder").count() == 2
    with clock.frozen_at(START + timedelta(days=15)):
        plan = instalment_plan_create(
            actor=risk_staff("second@staff.example"),
            case=case,
            count=3,
            interval_days=14,
            first_due_on=timezone.localdate(START + timedelta(days=16)),
        )
    assert plan.status == PlanStatus.ACTIVE
    assert [i.amount_minor for i in plan.instalments.all()] == [800, 800, 800]
    debt = debt_of(account)
    assert debt is not None
    assert debt.pay_now == eur(800)
    assert debt.owed == eur(2400)
    for n, day in enumerate((16, 30, 44), start=1):
        _pay(account, policy, 800, day, django_capture_on_commit_callbacks)
        assert plan.instalments.filter(paid_at__isnull=False).count() == n
        _run_on(day)
        assert OutboundMail.objects.filter(template="dunning_reminder").count() == 2
    case.refresh_from_db()
    plan.refresh_from_db()
    assert (case.status, plan.status) == (CaseStatus.SETTLED, PlanStatus.COMPLETED)
    assert all(i.payment_id is not None for i in plan.instalments.all())
    wallets.wallet_check_spend(client_account=account)  # unblocked
    assert debt_of(account) is None
    assert AuditEntry.objects.filter(action="dunning.instalments_agree").count() == 1
    assert_ledger_sound()


def test_a_missed_instalment_restarts_dunning(
    django_capture_on_commit_callbacks: Capture,
) -> None:
    account, policy, case = _in_dunning()
    with clock.frozen_at(START + timedelta(days=1)):
        plan = instalment_plan_create(
            actor=risk_staff(),
            case=case,
            count=3,
            interval_days=14,
            first_due_on=timezone.localdate(START + timedelta(days=2)),
            offer=True,
        )
        assert plan.status == PlanStatus.OFFERED
        instalment_plan_answer(client_account=account, plan=plan, accept=True)
    _pay(account, policy, 800, 2, django_capture_on_commit_callbacks)
    _run_on(16)  # the second is due on day 16, the grace lasts three days
    _run_on(19)
    case.refresh_from_db()
    assert case.status == CaseStatus.INSTALMENTS
    _run_on(20)
    case.refresh_from_db()
    plan.refresh_from_db()
    assert plan.status == PlanStatus.BROKEN
    assert (case.status, case.cycle, case.step) == (CaseStatus.OPEN, 2, 0)
    _run_on(27)
    reminder = DunningReminder.objects.get()
    assert (reminder.cycle, reminder.step, reminder.amount_minor) == (2, 1, 1600)
    assert_ledger_sound()


def test_staff_write_off_needs_a_reason_and_books_once() -> None:
    account, _policy, case = _in_dunning()
    staff = risk_staff()
    with pytest.raises(errors.ReasonRequired):
        dunning_write_off(actor=staff, case=case, reason=" ")
    write_off = dunning_write_off(actor=staff, case=case, reason="Insolvenz")
    assert (write_off.amount_minor, write_off.by) == (2400, staff)
    with pytest.raises(errors.CaseClosed):
        dunning_write_off(actor=staff, case=case, reason="again")
    assert AuditEntry.objects.filter(action="dunning.write_off").count() == 1
    assert wallets.wallet_balance(client_account=account).receivable == eur(0)
    assert_ledger_sound()


def test_instalment_amounts_add_up() -> None:
    assert instalment_amounts(1000, 3) == [334, 333, 333]
    assert sum(instalment_amounts(99_999, 7)) == 99_999


def test_a_plan_needs_sensible_terms() -> None:
    _account, _policy, case = _in_dunning()
    with clock.frozen_at(START), pytest.raises(errors.InstalmentPlanInvalid):
        instalment_plan_create(
            actor=risk_staff(),
            case=case,
            count=1,
            interval_days=14,
            first_due_on=timezone.localdate(START),
        )
