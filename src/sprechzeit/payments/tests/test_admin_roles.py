"""Decisions about a client's money are the risk role's: the admin offers the actions
to the roles holding the permission only."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib import admin
from django.test import Client, RequestFactory
from django.utils import timezone

from sprechzeit.accounts import roles
from sprechzeit.accounts.models import User
from sprechzeit.accounts.services import staff_create
from sprechzeit.accounts.tests.factories import login_verified
from sprechzeit.payments.admin import PaymentAdmin, RefundRequestAdmin
from sprechzeit.payments.models import Payment, RefundRequest
from sprechzeit.payments.tests.factories import client, sandbox_payment, sandbox_setup
from sprechzeit.wallets.admin import WalletStateAdmin
from sprechzeit.wallets.models import WalletState

pytestmark = pytest.mark.django_db

NET = {"host": "127.0.0.1"}  # the back office is on the network's host


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
    for action in ("reject", "record_chargeback", "unblock", "write_off"):
        assert (action in offered) is may, action
    assert "approve" not in offered  # approved in the console only (four eyes, audit)


def test_no_role_edits_a_payment_or_a_wallets_limits_in_a_form() -> None:
    """Payments are records and a self-exclusion is the client's: the roles that see them
    (risk, accounting) cannot change them through the admin's change form."""
    platform, _config, policy = sandbox_setup()
    account = client(platform)
    payment = sandbox_payment(account=account, policy=policy, minor=1000)
    before = (payment.status, payment.amount_minor)
    until = timezone.now() + timedelta(days=30)
    WalletState.objects.filter(client_account=account).update(excluded_until=until)
    state = WalletState.objects.get(client_account=account)
    for role in (roles.RISK, roles.ACCOUNTING):
        staff = Client()
        login_verified(staff, staff_create(email=f"{role}@example.com", password=None, role=role))
        url = f"/admin/payments/payment/{payment.pk}/change/"
        assert staff.get(url, headers=NET).status_code == 200  # they see it …
        response = staff.post(url, {"status": "succeeded", "amount_minor": 1}, headers=NET)
        assert response.status_code == 403  # … and change nothing
        url = f"/admin/wallets/walletstate/{state.pk}/change/"
        staff.post(url, {"excluded_until_0": "", "excluded_until_1": ""}, headers=NET)
    payment.refresh_from_db()
    assert (payment.status, payment.amount_minor) == before
    assert WalletState.objects.get(pk=state.pk).excluded_until == until
