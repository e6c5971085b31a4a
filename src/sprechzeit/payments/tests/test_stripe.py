"""Stripe: checkout creation over mocked HTTP, webhooks signed with Stripe's own scheme:
success once, replays (also concurrent on PostgreSQL), reordering, tampering, stale
timestamps, disputes won and lost, refunds. Every scenario ends with `ledger check`."""

from __future__ import annotations

import json
import threading
import time
import uuid
from datetime import timedelta

import pytest
import responses
from django.db import connection
from django.test import Client

from sprechzeit.accounts.models import ClientAccount
from sprechzeit.accounts.tests.factories import partner_with_listing
from sprechzeit.core import clock
from sprechzeit.core.money import Money
from sprechzeit.ledger import selectors as ledger_selectors
from sprechzeit.ledger.tests.helpers import assert_ledger_sound
from sprechzeit.payments import selectors
from sprechzeit.payments.models import (
    ChannelPolicy,
    Dispute,
    InboxEntry,
    InboxStatus,
    Payment,
    PaymentStatus,
    ProviderConfig,
    ProviderKind,
    Refund,
    RefundStatus,
)
from sprechzeit.payments.services import payments, refunds
from sprechzeit.payments.tests import stripe_helpers as sh
from sprechzeit.payments.tests.factories import (
    channel,
    client,
    eur,
    platform_with_channels,
    provider_config,
)
from sprechzeit.platforms.models import Platform
from sprechzeit.wallets import errors as wallet_errors
from sprechzeit.wallets import services as wallets


@pytest.fixture
def stripe_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STRIPE_SECRET_KEY_TEST", sh.API_KEY)
    monkeypatch.setenv("STRIPE_WEBHOOK_SECRET_TEST", sh.WEBHOOK_SECRET)


def _setup() -> tuple[Platform, ProviderConfig, ChannelPolicy, ClientAccount]:
    platform = platform_with_channels()
    config = provider_config(
        platform,
        ProviderKind.STRIPE,
        secret_env="STRIPE_SECRET_KEY_TEST",
        webhook_secret_env="STRIPE_WEBHOOK_SECRET_TEST",
    )
    policy = channel(config, "card", fee_fixed_minor=25, fee_percent="1.50")
    return platform, config, policy, client(platform)


def _start(account: ClientAccount, policy: ChannelPolicy, amount: int) -> Payment:
    with responses.RequestsMock() as mocked:
        mocked.post(
            "https://api.stripe.com/v1/checkout/sessions",
            json={
                "id": "cs_test_a1",
                "object": "checkout.session",
                "url": "https://checkout.stripe.com/c/pay/cs_test_a1",
                "payment_intent": None,
                "amount_total": amount,
                "currency": "eur",
            },
        )
        payment = payments.payment_start(
            client_account=account,
            policy=policy,
            amount=eur(amount),
            return_url="https://x.example/r/{id}",
            cancel_url="https://x.example/c/{id}",
            webhook_url="https://x.example/h",
        )
        sent = mocked.calls[0].request
        assert sent.headers["Idempotency-Key"] == f"payment-{payment.pk}"
        body = sent.body if isinstance(sent.body, str) else (sent.body or b"").decode()
        assert f"client_reference_id={payment.pk}" in body
    assert payment.redirect_url == "https://checkout.stripe.com/c/pay/cs_test_a1"
    return payment


def _deliver(config: ProviderConfig, payload: str, platform: Platform, **kwargs: object) -> int:
    header = kwargs.get("header", sh.signature_header(payload))
    response = sh.post(Client(), config, payload, header=header, host=f"{platform.slug}.localhost")  # type: ignore[arg-type]
    return int(response.status_code)


@pytest.mark.django_db
@pytest.mark.usefixtures("stripe_env")
def test_valid_success_credits_once_even_if_delivered_ten_times() -> None:
    platform, config, policy, account = _setup()
    payment = _start(account, policy, 5000)
    payload = sh.event("checkout.session.completed", sh.session_completed(payment.pk, 5000))
    statuses = [_deliver(config, payload, platform) for _ in range(10)]
    assert statuses == [200] * 10
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    assert payment.external_id == "pi_test_1"
    assert wallets.wallet_balance(client_account=account).total == eur(5000)
    entry = InboxEntry.objects.get(provider_config=config)
    assert entry.deliveries == 10
    assert json.loads(entry.raw_body)["type"] == "checkout.session.completed"
    # The fee (0.25 + 1.5 %) is the operator's expense, not the client's.
    fees = wallets.platform_account(platform=platform, purpose="provider_fees")  # type: ignore[arg-type]
    assert ledger_selectors.account_balance(account=fees).posted == eur(100)
    assert_ledger_sound()


@pytest.mark.django_db
@pytest.mark.usefixtures("stripe_env")
def test_events_out_of_order_credit_once() -> None:
    platform, config, policy, account = _setup()
    payment = _start(account, policy, 2000)
    succeeded = sh.event(
        "payment_intent.succeeded", sh.intent(payment.pk, 2000, status="succeeded")
    )
    processing = sh.event(
        "payment_intent.processing", sh.intent(payment.pk, 2000, status="processing")
    )
    failed = sh.event(
        "payment_intent.payment_failed",
        sh.intent(payment.pk, 2000, status="requires_payment_method"),
    )
    completed = sh.event("checkout.session.completed", sh.session_completed(payment.pk, 2000))
    for payload in (succeeded, processing, failed, completed):
        assert _deliver(config, payload, platform) == 200
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    assert wallets.wallet_balance(client_account=account).total == eur(2000)
    assert_ledger_sound()


@pytest.mark.django_db
@pytest.mark.usefixtures("stripe_env")
def test_bad_signatures_get_400_and_store_nothing() -> None:
    platform, config, policy, account = _setup()
    payment = _start(account, policy, 2000)
    payload = sh.event("checkout.session.completed", sh.session_completed(payment.pk, 2000))
    tampered = payload.replace('"amount_total": 2000', '"amount_total": 200000')
    assert _deliver(config, tampered, platform, header=sh.signature_header(payload)) == 400
    assert _deliver(config, payload, platform, header=None) == 400
    assert (
        _deliver(
            config, payload, platform, header=sh.signature_header(payload, secret="whsec_wrong")
        )
        == 400
    )
    old = int(time.time()) - 301
    assert (
        _deliver(config, payload, platform, header=sh.signature_header(payload, timestamp=old))
        == 400
    )
    assert _deliver(config, "{not json", platform) == 400
    assert not InboxEntry.objects.exists()
    assert wallets.wallet_balance(client_account=account).total == eur(0)
    assert_ledger_sound()


@pytest.mark.django_db
@pytest.mark.usefixtures("stripe_env")
def test_unknown_payment_and_amount_mismatch_are_stored_for_review() -> None:
    platform, config, policy, account = _setup()
    payment = _start(account, policy, 2000)
    stranger = sh.session_completed(uuid.uuid4(), 2000, pi="pi_other") | {"id": "cs_test_other"}
    unknown = sh.event("checkout.session.completed", stranger)
    assert _deliver(config, unknown, platform) == 200
    mismatch = sh.event("checkout.session.completed", sh.session_completed(payment.pk, 1999))
    assert _deliver(config, mismatch, platform) == 200
    other_currency = sh.session_completed(payment.pk, 2000) | {"currency": "usd"}
    assert _deliver(config, sh.event("checkout.session.completed", other_currency), platform) == 200
    ignored = sh.event("customer.created", {"id": "cus_1", "object": "customer"})
    assert _deliver(config, ignored, platform) == 200
    statuses = sorted(InboxEntry.objects.values_list("status", flat=True))
    assert statuses == [
        InboxStatus.IGNORED,
        InboxStatus.REVIEW,
        InboxStatus.REVIEW,
        InboxStatus.REVIEW,
    ]
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.CREATED
    assert wallets.wallet_balance(client_account=account).total == eur(0)
    assert_ledger_sound()


@pytest.mark.django_db
@pytest.mark.usefixtures("stripe_env")
def test_dispute_created_then_won_restores_and_unblocks() -> None:
    platform, config, policy, account = _setup()
    payment = _start(account, policy, 3000)
    _deliver(
        config,
        sh.event("checkout.session.completed", sh.session_completed(payment.pk, 3000)),
        platform,
    )
    _deliver(
        config,
        sh.event("charge.dispute.created", sh.dispute(payment.pk, 3000, status="needs_response")),
        platform,
    )
    assert wallets.wallet_balance(client_account=account).total == eur(0)
    with pytest.raises(wallet_errors.WalletBlocked):
        wallets.wallet_check_spend(client_account=account)
    _deliver(
        config,
        sh.event("charge.dispute.closed", sh.dispute(payment.pk, 3000, status="won")),
        platform,
    )
    _deliver(
        config,
        sh.event("charge.dispute.funds_reinstated", sh.dispute(payment.pk, 3000, status="won")),
        platform,
    )
    assert wallets.wallet_balance(client_account=account).total == eur(3000)
    wallets.wallet_check_spend(client_account=account)
    dispute = Dispute.objects.get(payment=payment)
    assert (dispute.status, dispute.debited, dispute.restored) == ("won", True, True)
    loss = wallets.platform_account(platform=platform, purpose="chargeback_loss")  # type: ignore[arg-type]
    assert ledger_selectors.account_balance(account=loss).posted == eur(1500)
    assert_ledger_sound()


@pytest.mark.django_db
@pytest.mark.usefixtures("stripe_env")
def test_dispute_lost_after_spending_goes_negative_blocks_and_spares_the_partner() -> None:
    platform, config, policy, account = _setup()
    payment = _start(account, policy, 3000)
    _deliver(
        config,
        sh.event("checkout.session.completed", sh.session_completed(payment.pk, 3000)),
        platform,
    )
    partner, _ = partner_with_listing(platform=platform)
    payable = wallets.partner_payable_account(partner=partner, currency="EUR")
    hold_id = uuid.uuid4()
    wallets.wallet_hold(
        client_account=account,
        amount=eur(2500),
        reference="consultation:9",
        expires_at=clock.now() + timedelta(minutes=10),
        hold_id=hold_id,
    )
    wallets.wallet_settle(
        client_account=account,
        hold_id=hold_id,
        charge=eur(2500),
        vat=eur(399),
        partner_share=eur(1000),
        partner_account=payable,
        reference="consultation:9",
    )
    # Lost arrives before created (reordered); created later changes nothing.
    _deliver(
        config,
        sh.event("charge.dispute.closed", sh.dispute(payment.pk, 3000, status="lost")),
        platform,
    )
    _deliver(
        config,
        sh.event("charge.dispute.created", sh.dispute(payment.pk, 3000, status="needs_response")),
        platform,
    )
    balance = wallets.wallet_balance(client_account=account)
    assert balance.total == eur(-2500)
    assert balance.receivable == eur(2500)
    with pytest.raises(wallet_errors.WalletBlocked):
        wallets.wallet_check_spend(client_account=account)
    assert ledger_selectors.account_balance(account=payable).posted == eur(1000)
    assert_ledger_sound()


@pytest.mark.django_db
@pytest.mark.usefixtures("stripe_env")
def test_refund_through_original_channel_and_dashboard_refund() -> None:
    platform, config, policy, account = _setup()
    first = _start(account, policy, 1000)
    _deliver(
        config,
        sh.event("checkout.session.completed", sh.session_completed(first.pk, 1000, pi="pi_a")),
        platform,
    )
    second = _start(account, policy, 2000)
    _deliver(
        config,
        sh.event("checkout.session.completed", sh.session_completed(second.pk, 2000, pi="pi_b")),
        platform,
    )
    request = refunds.refund_request_create(client_account=account)
    assert request.amount_minor == 3000
    with responses.RequestsMock() as mocked:
        mocked.post(
            "https://api.stripe.com/v1/refunds",
            json={"id": "re_1", "object": "refund", "status": "succeeded"},
        )
        mocked.post(
            "https://api.stripe.com/v1/refunds",
            json={"id": "re_2", "object": "refund", "status": "succeeded"},
        )
        made = refunds.refund_request_approve(request=request, staff="staff@example.com")
        bodies = [c.request.body for c in mocked.calls]
        keys = [c.request.headers["Idempotency-Key"] for c in mocked.calls]
    # Latest payment first.
    assert [r.payment_id for r in made] == [second.pk, first.pk]
    assert "payment_intent=pi_b" in str(bodies[0])
    assert keys == [f"refund-{made[0].pk}", f"refund-{made[1].pk}"]
    assert all(r.status == RefundStatus.SUCCEEDED for r in made)
    assert wallets.wallet_balance(client_account=account).total == eur(0)
    # Stripe reports the running total; our own refunds are already known.
    charge = {
        "id": "ch_b",
        "object": "charge",
        "amount": 2000,
        "amount_refunded": 2000,
        "currency": "eur",
        "payment_intent": "pi_b",
        "metadata": {},
    }
    assert _deliver(config, sh.event("charge.refunded", charge), platform) == 200
    assert Refund.objects.count() == 2
    assert_ledger_sound()


@pytest.mark.django_db
@pytest.mark.usefixtures("stripe_env")
def test_refund_made_in_the_dashboard_leaves_the_wallet() -> None:
    platform, config, policy, account = _setup()
    payment = _start(account, policy, 2000)
    _deliver(
        config,
        sh.event("checkout.session.completed", sh.session_completed(payment.pk, 2000)),
        platform,
    )
    charge = {
        "id": "ch_1",
        "object": "charge",
        "amount": 2000,
        "amount_refunded": 500,
        "currency": "eur",
        "payment_intent": "pi_test_1",
        "metadata": {},
    }
    _deliver(config, sh.event("charge.refunded", charge), platform)
    _deliver(config, sh.event("charge.refunded", charge), platform)
    assert wallets.wallet_balance(client_account=account).total == eur(1500)
    wallets.wallet_check_spend(client_account=account)
    assert_ledger_sound()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("stripe_env")
def test_concurrent_duplicate_deliveries_credit_once_on_postgres() -> None:
    platform, config, policy, account = _setup()
    payment = _start(account, policy, 4000)
    payload = sh.event("checkout.session.completed", sh.session_completed(payment.pk, 4000))
    header = sh.signature_header(payload)
    results: list[int] = []
    barrier = threading.Barrier(5)

    def deliver() -> None:
        try:
            barrier.wait()
            results.append(_deliver(config, payload, platform, header=header))
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for _ in range(5):
        results.append(_deliver(config, payload, platform, header=header))
    assert results == [200] * 10
    assert wallets.wallet_balance(client_account=account).total == Money(4000, "EUR")
    assert InboxEntry.objects.get().deliveries == 10
    assert_ledger_sound()


@pytest.mark.django_db
@pytest.mark.usefixtures("stripe_env")
def test_sepa_debit_settles_later_or_fails() -> None:
    platform, config, policy, account = _setup()
    paid_later = _start(account, policy, 1500)
    unpaid = sh.session_completed(paid_later.pk, 1500, paid=False, pi="pi_sepa_1")
    _deliver(config, sh.event("checkout.session.completed", unpaid), platform)
    paid_later.refresh_from_db()
    assert paid_later.status == PaymentStatus.PENDING
    assert wallets.wallet_balance(client_account=account).total == eur(0)
    _deliver(
        config,
        sh.event("checkout.session.async_payment_succeeded", unpaid | {"payment_status": "paid"}),
        platform,
    )
    paid_later.refresh_from_db()
    assert paid_later.status == PaymentStatus.SUCCEEDED
    bounced = _start(account, policy, 700)
    other = sh.session_completed(bounced.pk, 700, paid=False, pi="pi_sepa_2") | {"id": "cs_test_b2"}
    _deliver(config, sh.event("checkout.session.completed", other), platform)
    _deliver(config, sh.event("checkout.session.async_payment_failed", other), platform)
    bounced.refresh_from_db()
    assert bounced.status == PaymentStatus.FAILED
    assert wallets.wallet_balance(client_account=account).total == eur(1500)
    assert_ledger_sound()


@pytest.mark.django_db
def test_webhook_for_unknown_or_unconfigured_provider(monkeypatch: pytest.MonkeyPatch) -> None:
    platform, config, _policy, _account = _setup()
    payload = sh.event("payment_intent.succeeded", {"id": "pi_x", "object": "payment_intent"})
    host = f"{platform.slug}.localhost"
    assert (
        sh.post(
            Client(), config, payload, header=sh.signature_header(payload), host=host
        ).status_code
        == 503
    )
    config.is_active = False
    config.save()
    assert (
        sh.post(
            Client(), config, payload, header=sh.signature_header(payload), host=host
        ).status_code
        == 404
    )
    assert Client().get(f"/hooks/payments/{config.pk}/", headers={"host": host}).status_code == 405
    assert not InboxEntry.objects.exists()


@pytest.mark.django_db
@pytest.mark.usefixtures("stripe_env")
def test_provider_down_cancels_the_payment_and_the_page_explains() -> None:
    platform, _config, policy, account = _setup()
    browser = Client()
    browser.force_login(account.user)
    with responses.RequestsMock() as mocked:
        mocked.post(
            "https://api.stripe.com/v1/checkout/sessions",
            status=500,
            json={"error": {"type": "api_error", "message": "Internal error"}},
        )
        page = browser.post(
            "/guthaben/aufladen/",
            {"channel": policy.pk, "amount": "20"},
            headers={"host": f"{platform.slug}.localhost"},
        )
    assert page.status_code == 400
    assert "nicht erreichbar" in page.content.decode()
    assert Payment.objects.get().status == PaymentStatus.CANCELED
    assert selectors.deposited_this_month(client_account=account) == eur(0)
