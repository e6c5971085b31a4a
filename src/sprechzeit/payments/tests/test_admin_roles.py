"""Decisions about a client's money are the risk role's: the admin offers the actions
to the roles holding the permission only."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.test import RequestFactory

from sprechzeit.accounts import roles
from sprechzeit.accounts.models import User
from sprechzeit.accounts.services import staff_create
from sprechzeit.payments.admin import PaymentAdmin, RefundRequestAdmin
from sprechzeit.payments.models import Payment, RefundRequest
from sprechzeit.wallets.admin import WalletStateAdmin
from sprechzeit.wallets.models import WalletState

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("role", "may"), [(roles.RISK, True), (roles.SUPPORT, False), (roles.ACCOUNTING, False)]
)
def test_only_risk_decides_refunds_chargebacks_blocks_and_write_offs(role: str, may: bool) -> None:
    request = RequestFactory().get("/admin/")
    request.user = User.objects.get(
        pk=staff_create(email=f"{role}@example.com", password=None, role=role).pk
    )
    offered = {
        *RefundRequestAdmin(RefundRequest, admin.site).get_actions(request),
        *PaymentAdmin(Payment, admin.site).get_actions(request),
        *WalletStateAdmin(WalletState, admin.site).get_actions(request),
    }
    for action in ("approve", "reject", "record_chargeback", "unblock", "write_off"):
        assert (action in offered) is may, action
