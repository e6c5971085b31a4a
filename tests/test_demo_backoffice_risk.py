"""The demo fills every risk queue: open disputes of different ages, refund requests
(one above the four-eyes amount), a client in dunning with two reminders, a client
paying an agreed instalment plan of 3 with the first paid; the ledger stays sound."""

from __future__ import annotations

import pytest

from sprechzeit.collections.models import CaseStatus, DunningCase, DunningReminder, PlanStatus
from sprechzeit.demo.backoffice_risk import demo_backoffice_risk
from sprechzeit.demo.seed import demo_seed
from sprechzeit.ledger.tests.helpers import assert_ledger_sound
from sprechzeit.notifications.services import mail_muted
from sprechzeit.payments.models import Dispute, DisputeStatus, RefundRequest

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def test_the_demo_fills_the_risk_queues(django_capture_on_commit_callbacks: object) -> None:
    demo_seed()
    with mail_muted(), django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        held = demo_backoffice_risk()
    assert held == 3
    assert Dispute.objects.filter(status=DisputeStatus.OPEN).count() == 2
    assert RefundRequest.objects.filter(status="requested").count() == 2
    dunned = DunningCase.objects.get(client_account__user__email__startswith="risiko-mahnung")
    assert dunned.status == CaseStatus.OPEN
    assert DunningReminder.objects.filter(case=dunned).count() == 2
    paying = DunningCase.objects.get(client_account__user__email__startswith="risiko-raten")
    plan = paying.plans.get()
    assert (paying.status, plan.status) == (CaseStatus.INSTALMENTS, PlanStatus.ACTIVE)
    assert plan.instalments.filter(paid_at__isnull=False).count() == 1
    assert demo_backoffice_risk() == 0  # once
    assert_ledger_sound()
