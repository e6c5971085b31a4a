"""Saved payment methods through the real SDKs with HTTP mocked at the transport level
(`responses`): Stripe (Customer, setup-mode Checkout → SetupIntent → PaymentMethod,
off-session PaymentIntent, detach) and Mollie (Customer, first payment with
`sequenceType=first`, mandate, recurring payment, revoke); the automatic top-up with
its threshold, monthly cap, deposit limit and self-exclusion. Every money scenario
ends with the ledger check."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs

import pytest
import responses
from django.test import Client

from sprechzeit.accounts.models import ClientAccount
from sprechzeit.core import clock
from sprechzeit.ledger.tests.helpers import assert_ledger_sound
from sprechzeit.payments import errors
from sprechzeit.payments.models import ChannelPolicy, Payment, PaymentStatus, ProviderKind
from sprechzeit.payments.saved_models import AutoTopUp, MethodCharge, SavedMethod
from sprechzeit.payments.services import saved
from sprechzeit.payments.tests import stripe_helpers as sh
from sprechzeit.payments.tests.factories import (
    channel,
    client,
    eur,
    platform_with_channels,
    provider_config,
)
from sprechzeit.wallets import errors as wallet_errors
from sprechzeit.wallets import services as wallets

pytestmark = pytest.mark.django_db

STRIPE = "https://api.stripe.com/v1"
MOLLIE = "https://api.mollie.com/v2"
HOOK = "https://x.example/hooks/payments/1/"


def _stripe(monkeypatch: pytest.MonkeyPatch) -> tuple[ChannelPolicy, ClientAccount]:
    monkeypatch.setenv("STRIPE_SECRET_KEY_TEST", sh.API_KEY)
    monkeypatch.setenv("STRIPE_WEBHOOK_SECRET_TEST", sh.WEBHOOK_SECRET)
    platform = platform_with_channels()
    config = provider_config(
        platform,
        ProviderKind.STRIPE,
        secret_env="STRIPE_SECRET_KEY_TEST",
        webhook_secret_env="STRIPE_WEBHOOK_SECRET_TEST",
    )
    return channel(config, "card"), client(platform)


def _form(call: Any) -> dict[str, list[str]]:
    return parse_qs(str(call.request.body))


def _stripe_saved(
    mocked: responses.RequestsMock, policy: ChannelPolicy, account: ClientAccount
) -> SavedMethod:
    mocked.post(f"{STRIPE}/customers", json={"id": "cus_K1", "object": "customer"})
    mocked.post(
        f"{STRIPE}/checkout/sessions",
        json={
            "id": "cs_setup_1",
            "object": "checkout.session",
            "mode": "setup",
            "url": "https://checkout.stripe.com/c/pay/cs_setup_1",
        },
    )
    setup, url = saved.method_setup_start(
        client_account=account,
        policy=policy,
        first_amount=None,
        return_url="https://x.example/fertig/{id}/",
        cancel_url="https://x.example/zm/",
        webhook_url=HOOK,
    )
    assert url == "https://checkout.stripe.com/c/pay/cs_setup_1"
    session = _form(mocked.calls[-1])
    assert session["mode"] == ["setup"]
    assert session["customer"] == ["cus_K1"]
    assert session["success_url"] == [f"https://x.example/fertig/{setup.pk}/"]
    mocked.get(
        f"{STRIPE}/checkout/sessions/cs_setup_1",
        json={"id": "cs_setup_1", "object": "checkout.session", "setup_intent": "seti_1"},
    )
    mocked.get(
        f"{STRIPE}/setup_intents/seti_1",
        json={
            "id": "seti_1",
            "object": "setup_intent",
            "status": "succeeded",
            "payment_method": "pm_visa",
            "customer": "cus_K1",
        },
    )
    mocked.get(
        f"{STRIPE}/payment_methods/pm_visa",
        json={
            "id": "pm_visa",
            "object": "payment_method",
            "type": "card",
            "card": {"brand": "visa", "last4": "4242"},
        },
    )
    method = saved.method_setup_finish(setup=setup)
    assert method is not None
    assert saved.method_setup_finish(setup=setup) == method  # a reload saves nothing new
    return method


def test_stripe_saves_a_card_charges_it_off_session_once_and_detaches_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    policy, account = _stripe(monkeypatch)
    with responses.RequestsMock() as mocked:
        method = _stripe_saved(mocked, policy, account)
        assert (method.label, method.customer_ref, method.method_ref) == (
            "Visa •••• 4242",
            "cus_K1",
            "pm_visa",
        )

        def intent(request: Any) -> tuple[int, dict[str, str], str]:
            body = parse_qs(request.body)
            assert body["off_session"] == ["true"]
            assert body["confirm"] == ["true"]
            assert (body["customer"], body["payment_method"]) == (["cus_K1"], ["pm_visa"])
            pid = body["metadata[payment_id]"][0]
            return (
                200,
                {},
                json.dumps(sh.intent(uuid.UUID(pid), 2000, status="succeeded", pi="pi_off_1")),
            )

        mocked.add_callback(responses.POST, f"{STRIPE}/payment_intents", callback=intent)
        payment = saved.method_charge(method=method, amount=eur(2000), webhook_url=HOOK)
    assert payment.status == PaymentStatus.SUCCEEDED
    assert payment.external_id == "pi_off_1"
    assert wallets.wallet_balance(client_account=account).paid == eur(2000)
    # Stripe's webhook for the same PaymentIntent arrives later: credited once.
    payload = sh.event(
        "payment_intent.succeeded", sh.intent(payment.pk, 2000, status="succeeded", pi="pi_off_1")
    )
    response = sh.post(
        Client(),
        policy.provider_config,
        payload,
        header=sh.signature_header(payload),
        host=f"{account.platform.slug}.localhost",
    )
    assert response.status_code == 200
    assert wallets.wallet_balance(client_account=account).paid == eur(2000)
    assert_ledger_sound()

    with responses.RequestsMock() as mocked:
        mocked.post(
            f"{STRIPE}/payment_intents",
            status=402,
            json={
                "error": {
                    "type": "card_error",
                    "code": "card_declined",
                    "decline_code": "insufficient_funds",
                    "message": "Declined",
                    "payment_intent": {"id": "pi_off_2"},
                }
            },
        )
        declined = saved.method_charge(method=method, amount=eur(1000), webhook_url=HOOK)
    assert (declined.status, declined.failure_reason) == (
        PaymentStatus.FAILED,
        "insufficient_funds",
    )
    assert wallets.wallet_balance(client_account=account).paid == eur(2000)

    with responses.RequestsMock() as mocked:
        mocked.post(
            f"{STRIPE}/payment_methods/pm_visa/detach",
            json={"id": "pm_visa", "object": "payment_method", "customer": None},
        )
        saved.method_remove(client_account=account, method=method)
    method.refresh_from_db()
    assert method.removed_at is not None
    with pytest.raises(errors.MethodNotSavable):
        saved.method_charge(method=method, amount=eur(1000), webhook_url=HOOK)
    assert_ledger_sound()


def _mollie_body(
    pid: str, *, status: str, sequence: str, mandate: str | None = None
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "resource": "payment",
        "id": "tr_first1" if sequence == "first" else "tr_recur1",
        "mode": "test",
        "amount": {"value": "10.00", "currency": "EUR"},
        "description": "Aufladung",
        "metadata": {"payment_id": pid},
        "status": status,
        "sequenceType": sequence,
        "customerId": "cst_8wmqcHMN4U",
        "_links": {
            "checkout": {"href": "https://www.mollie.com/checkout/first1", "type": "text/html"}
        },
    }
    if mandate:
        body["mandateId"] = mandate
    return body


def test_mollie_first_payment_mandate_recurring_charge_and_revoke(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MOLLIE_KEY_TEST", "test_" + "m" * 30)
    platform = platform_with_channels()
    config = provider_config(platform, ProviderKind.MOLLIE, secret_env="MOLLIE_KEY_TEST")
    policy = channel(config, "card")
    account = client(platform)
    hook = f"/hooks/payments/{config.pk}/"
    with responses.RequestsMock() as mocked:
        mocked.post(f"{MOLLIE}/customers", json={"resource": "customer", "id": "cst_8wmqcHMN4U"})

        def first(request: Any) -> tuple[int, dict[str, str], str]:
            body = json.loads(request.body)
            assert (body["sequenceType"], body["customerId"]) == ("first", "cst_8wmqcHMN4U")
            return (
                201,
                {},
                json.dumps(
                    _mollie_body(body["metadata"]["payment_id"], status="open", sequence="first")
                ),
            )

        mocked.add_callback(responses.POST, f"{MOLLIE}/payments", callback=first)
        setup, url = saved.method_setup_start(
            client_account=account,
            policy=policy,
            first_amount=eur(1000),
            return_url="https://x.example/fertig/{id}/",
            cancel_url="https://x.example/zm/",
            webhook_url=hook,
        )
        assert url == "https://www.mollie.com/checkout/first1"
        first_payment = Payment.objects.get(client_account=account)
        assert first_payment.external_id == "tr_first1"
        # Paid: the webhook credits the first top-up; the return saves the mandate.
        paid = _mollie_body(
            str(first_payment.pk), status="paid", sequence="first", mandate="mdt_pWUnw6pkBN"
        )
        mocked.get(f"{MOLLIE}/payments/tr_first1", json=paid)
        assert (
            Client()
            .post(
                hook,
                data="id=tr_first1",
                content_type="application/x-www-form-urlencoded",
                headers={"host": f"{platform.slug}.localhost"},
            )
            .status_code
            == 200
        )
        mocked.get(
            f"{MOLLIE}/customers/cst_8wmqcHMN4U/mandates/mdt_pWUnw6pkBN",
            json={
                "resource": "mandate",
                "id": "mdt_pWUnw6pkBN",
                "status": "valid",
                "method": "creditcard",
                "details": {
                    "cardHolder": "K. Lient",
                    "cardNumber": "1234",
                    "cardLabel": "Mastercard",
                },
            },
        )
        method = saved.method_setup_finish(setup=setup)
    assert method is not None
    assert method.label == "Mastercard •••• 1234"
    assert wallets.wallet_balance(client_account=account).paid == eur(1000)

    with responses.RequestsMock() as mocked:

        def recurring(request: Any) -> tuple[int, dict[str, str], str]:
            body = json.loads(request.body)
            assert (body["sequenceType"], body["mandateId"]) == ("recurring", "mdt_pWUnw6pkBN")
            return (
                201,
                {},
                json.dumps(
                    _mollie_body(
                        body["metadata"]["payment_id"], status="pending", sequence="recurring"
                    )
                ),
            )

        mocked.add_callback(responses.POST, f"{MOLLIE}/payments", callback=recurring)
        charge = saved.method_charge(method=method, amount=eur(1000), webhook_url=hook)
        assert charge.status == PaymentStatus.PENDING
        mocked.get(
            f"{MOLLIE}/payments/tr_recur1",
            json=_mollie_body(str(charge.pk), status="paid", sequence="recurring"),
        )
        Client().post(
            hook,
            data="id=tr_recur1",
            content_type="application/x-www-form-urlencoded",
            headers={"host": f"{platform.slug}.localhost"},
        )
    charge.refresh_from_db()
    assert charge.status == PaymentStatus.SUCCEEDED
    assert wallets.wallet_balance(client_account=account).paid == eur(2000)
    with responses.RequestsMock() as mocked:
        mocked.delete(f"{MOLLIE}/customers/cst_8wmqcHMN4U/mandates/mdt_pWUnw6pkBN", status=204)
        saved.method_remove(client_account=account, method=method)
    assert SavedMethod.objects.get(pk=method.pk).removed_at is not None
    assert_ledger_sound()


def test_auto_topup_threshold_monthly_cap_deposit_limit_and_self_exclusion(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    policy, account = _stripe(monkeypatch)
    with responses.RequestsMock() as mocked:
        method = _stripe_saved(mocked, policy, account)
    with pytest.raises(errors.AutoTopUpInvalid):
        saved.auto_topup_set(
            client_account=account,
            method=method,
            threshold=eur(500),
            amount=eur(2000),
            monthly_cap=eur(1000),
        )
    saved.auto_topup_set(
        client_account=account,
        method=method,
        threshold=eur(500),
        amount=eur(1000),
        monthly_cap=eur(1500),
    )

    def succeed(request: Any) -> tuple[int, dict[str, str], str]:
        pid = parse_qs(request.body)["metadata[payment_id]"][0]
        return (
            200,
            {},
            json.dumps(sh.intent(uuid.UUID(pid), 1000, status="succeeded", pi=f"pi_{pid[:8]}")),
        )

    with responses.RequestsMock(assert_all_requests_are_fired=False) as mocked:
        mocked.add_callback(responses.POST, f"{STRIPE}/payment_intents", callback=succeed)
        first = saved.auto_topup_check(client_account=account, webhook_url=HOOK)
        assert first is not None
        assert first.status == PaymentStatus.SUCCEEDED
        assert (
            saved.auto_topup_check(client_account=account, webhook_url=HOOK) is None
        )  # above threshold
        AutoTopUp.objects.filter(client_account=account).update(threshold_minor=5000)
        # 10 € charged this month; another 10 € would pass the 15 € cap.
        assert saved.auto_topup_check(client_account=account, webhook_url=HOOK) is None
        assert (
            len([c for c in mocked.calls if str(c.request.url).endswith("/payment_intents")]) == 1
        )
    assert MethodCharge.objects.filter(method=method, automatic=True).count() == 1
    assert wallets.wallet_balance(client_account=account).paid == eur(1000)

    AutoTopUp.objects.filter(client_account=account).update(monthly_cap_minor=10000)
    wallets.wallet_set_deposit_limit(client_account=account, limit=eur(1500))
    with pytest.raises(wallet_errors.DepositLimitExceeded):
        saved.auto_topup_check(client_account=account, webhook_url=HOOK)
    wallets.wallet_set_deposit_limit(client_account=account, limit=None)
    wallets.wallet_self_exclude(client_account=account, until=clock.now() + timedelta(days=7))
    with pytest.raises(wallet_errors.SelfExcluded):
        saved.auto_topup_check(client_account=account, webhook_url=HOOK)
    assert wallets.wallet_balance(client_account=account).paid == eur(1000)
    assert_ledger_sound()
