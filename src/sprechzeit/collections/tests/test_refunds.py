"""Refund decisions: partial, never above what is refundable (the error says how
much is), four eyes above the platform's amount; one audit entry per action."""

from __future__ import annotations

import pytest

from sprechzeit.accounts.models import ClientAccount
from sprechzeit.audit.models import AuditEntry
from sprechzeit.collections import errors
from sprechzeit.collections.models import RefundApproval
from sprechzeit.collections.selectors import refund_channels
from sprechzeit.collections.services.refunds import (
    refund_decide_approve,
    refund_decide_reject,
    risk_settings,
)
from sprechzeit.collections.tests.factories import eur, risk_staff, spend
from sprechzeit.ledger.tests.helpers import assert_ledger_sound
from sprechzeit.payments.errors import RefundNotPossible
from sprechzeit.payments.models import RefundRequestStatus
from sprechzeit.payments.services.refunds import refund_request_create
from sprechzeit.payments.services.sandbox import sandbox_top_up
from sprechzeit.payments.tests.factories import client, sandbox_setup
from sprechzeit.wallets import services as wallets

pytestmark = pytest.mark.django_db


def _client_with(minor: int) -> ClientAccount:
    platform, _config, policy = sandbox_setup()
    account = client(platform)
    sandbox_top_up(client_account=account, policy=policy, amount=eur(minor))
    return account


def test_a_request_above_what_is_left_is_refused_clearly_then_approved_in_part() -> None:
    account = _client_with(1000)
    request = refund_request_create(client_account=account, amount=eur(1000))
    spend(account, 995)  # 0,05 € left
    staff = risk_staff()
    with pytest.raises(RefundNotPossible) as refused:
        refund_decide_approve(actor=staff, request=request)
    assert "0,05" in str(refused.value.message)
    assert "10,00" in str(refused.value.message)
    request.refresh_from_db()
    assert request.status == RefundRequestStatus.REQUESTED
    assert not AuditEntry.objects.exists()
    [(payment, part)] = refund_channels(request, eur(5))
    assert part == eur(5)
    assert payment.channel == "sandbox"
    decision = refund_decide_approve(actor=staff, request=request, amount=eur(5))
    assert [r.amount_minor for r in decision.refunds] == [5]
    request.refresh_from_db()
    assert request.status == RefundRequestStatus.APPROVED
    entry = AuditEntry.objects.get()
    assert entry.after is not None
    assert entry.before is not None
    assert (entry.action, entry.after["approved_minor"]) == ("refund.approve", 5)
    assert entry.before["requested_minor"] == 1000
    assert wallets.wallet_balance(client_account=account).paid == eur(0)
    assert_ledger_sound()


def test_four_eyes_above_the_platforms_amount() -> None:
    account = _client_with(30000)
    settings = risk_settings(platform=account.platform)
    settings.refund_four_eyes_minor = 10000
    settings.save()
    request = refund_request_create(client_account=account, amount=eur(25000))
    first = risk_staff("first@staff.example")
    first_decision = refund_decide_approve(actor=first, request=request, amount=eur(20000))
    assert first_decision.refunds == []
    assert first_decision.awaiting_second is not None
    with pytest.raises(errors.FourEyesRequired):
        refund_decide_approve(actor=first, request=request)
    with pytest.raises(errors.RiskRoleRequired):
        refund_decide_approve(actor=risk_staff("support@staff.example", "support"), request=request)
    with pytest.raises(errors.RefundAmountInvalid):
        refund_decide_approve(
            actor=risk_staff("other@staff.example"), request=request, amount=eur(25000)
        )
    second = risk_staff("second@staff.example")
    decision = refund_decide_approve(actor=second, request=request)
    assert sum(r.amount_minor for r in decision.refunds) == 20000
    assert RefundApproval.objects.get(request=request).approved_by == first
    actions = list(AuditEntry.objects.order_by("at", "pk").values_list("action", "actor_label"))
    assert actions == [
        ("refund.approve_first", "first@staff.example"),
        ("refund.approve", "second@staff.example"),
    ]
    assert wallets.wallet_balance(client_account=account).paid == eur(10000)
    assert_ledger_sound()


def test_reject_needs_a_reason_and_decides_once() -> None:
    account = _client_with(1000)
    request = refund_request_create(client_account=account)
    staff = risk_staff()
    with pytest.raises(errors.ReasonRequired):
        refund_decide_reject(actor=staff, request=request, reason="")
    refund_decide_reject(actor=staff, request=request, reason="Betrugsverdacht")
    with pytest.raises(errors.RefundDecided):
        refund_decide_reject(actor=staff, request=request, reason="again")
    with pytest.raises(RefundNotPossible):
        refund_decide_approve(actor=staff, request=request)
    assert AuditEntry.objects.filter(action="refund.reject").count() == 1
