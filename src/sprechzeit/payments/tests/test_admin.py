"""Staff pages render: every payments and wallets admin list, the statement upload and
the review queue; the sandbox chargeback action books the chargeback path."""

from __future__ import annotations

import pytest
from django.test import Client

from sprechzeit.accounts.models import User
from sprechzeit.accounts.tests.factories import login_verified
from sprechzeit.audit.models import AuditEntry
from sprechzeit.ledger.tests.helpers import assert_ledger_sound
from sprechzeit.payments import tasks
from sprechzeit.payments.models import InboxEntry, InboxStatus, Payment, ProviderKind
from sprechzeit.payments.services import inbox
from sprechzeit.payments.services.sandbox import sandbox_deliver
from sprechzeit.payments.tests.factories import (
    client,
    eur,
    provider_config,
    sandbox_payment,
    sandbox_setup,
)
from sprechzeit.wallets import services as wallets
from sprechzeit.wallets.models import WalletState

pytestmark = pytest.mark.django_db

PAGES = [
    "/admin/payments/payment/",
    "/admin/payments/inboxentry/",
    "/admin/payments/dispute/",
    "/admin/payments/refundrequest/",
    "/admin/payments/refund/",
    "/admin/payments/bankstatement/",
    "/admin/payments/bankstatement/upload/",
    "/admin/payments/bankentry/",
    "/admin/payments/providerconfig/",
    "/admin/payments/channelpolicy/",
    "/admin/payments/transferreference/",
    "/admin/wallets/walletstate/",
    "/admin/wallets/walletstate/?blocked=yes",
    "/admin/wallets/walletstate/?receivable=open",
    "/admin/wallets/walletsettings/",
    "/admin/wallets/welcomecreditgrant/",
]


def _staff() -> Client:
    user = User.objects.create_superuser("chefin@example.com", "richtig-geheim-42")
    browser = Client()
    login_verified(browser, user)
    return browser


def test_admin_pages_render_and_sandbox_chargeback_action() -> None:
    platform, _config, policy = sandbox_setup()
    provider_config(platform, ProviderKind.BANK_TRANSFER)
    account = client(platform)
    payment = sandbox_payment(account=account, policy=policy, minor=1000)
    sandbox_deliver(payment=payment, event_type="payment.succeeded")
    browser = _staff()
    for page in PAGES:
        response = browser.get(page)
        assert response.status_code == 200, (page, response.status_code)
    assert browser.get(f"/admin/payments/payment/{payment.pk}/change/").status_code == 200
    response = browser.post(
        "/admin/payments/payment/",
        {"action": "sandbox_chargeback", "_selected_action": [str(payment.pk)]},
    )
    assert response.status_code == 302
    assert wallets.wallet_balance(client_account=account).total == eur(0)
    assert Payment.objects.get().charged_back_minor == 1000
    blocked = browser.get("/admin/wallets/walletstate/?blocked=yes").content.decode()
    assert account.customer_number in blocked
    other = client(platform)
    wallets.wallet_for(other)
    owing = browser.get("/admin/wallets/walletstate/?receivable=open").content.decode()
    assert other.customer_number not in owing
    assert_ledger_sound()


def test_failed_inbox_entries_are_retried_by_the_task(monkeypatch: pytest.MonkeyPatch) -> None:
    platform, _config, policy = sandbox_setup()
    account = client(platform)
    payment = sandbox_payment(account=account, policy=policy, minor=1000)

    def broken(**kwargs: object) -> str:
        raise RuntimeError("database hiccup")

    monkeypatch.setattr(inbox, "payment_apply", broken)
    outcome = sandbox_deliver(payment=payment, event_type="payment.succeeded")
    assert outcome.status == InboxStatus.FAILED
    monkeypatch.undo()
    assert tasks.inbox_retry_failed() == 1
    assert InboxEntry.objects.get().status == InboxStatus.PROCESSED
    assert wallets.wallet_balance(client_account=account).total == eur(1000)
    assert_ledger_sound()


def test_each_admin_action_writes_one_audit_entry_per_object() -> None:
    """The admin's side door is audited like the console: unblocking two wallets writes
    exactly two entries (who, which wallet, from where)."""

    platform, _config, _policy = sandbox_setup()
    first, second = client(platform), client(platform)
    states = []
    for account in (first, second):
        wallets.wallet_for(account)
        states.append(wallets.wallet_block(client_account=account, reason="Test"))
    browser = _staff()
    response = browser.post(
        "/admin/wallets/walletstate/",
        {"action": "unblock", "_selected_action": [str(state.pk) for state in states]},
        REMOTE_ADDR="203.0.113.8",
    )
    assert response.status_code == 302
    entries = list(AuditEntry.objects.order_by("id"))
    assert [entry.action for entry in entries] == ["admin.walletstate.unblock"] * 2
    assert {entry.target_id for entry in entries} == {str(state.pk) for state in states}
    assert {entry.actor_label for entry in entries} == {"chefin@example.com"}
    assert {entry.ip for entry in entries} == {"203.0.113.8"}
    for account in (first, second):
        assert WalletState.objects.get(client_account=account).blocked_at is None
