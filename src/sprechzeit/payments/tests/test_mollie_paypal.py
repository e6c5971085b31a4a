"""Mollie and PayPal with HTTP mocked at the transport level (`responses`), payloads
shaped like the providers' documented ones."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
import responses
from django.test import Client

from sprechzeit.accounts.models import ClientAccount
from sprechzeit.ledger.tests.helpers import assert_ledger_sound
from sprechzeit.payments.models import (
    ChannelPolicy,
    InboxEntry,
    Payment,
    PaymentStatus,
    ProviderConfig,
    ProviderKind,
)
from sprechzeit.payments.services import payments
from sprechzeit.payments.tests.factories import (
    channel,
    client,
    eur,
    platform_with_channels,
    provider_config,
)
from sprechzeit.platforms.models import Platform
from sprechzeit.wallets import services as wallets

pytestmark = pytest.mark.django_db

MOLLIE = "https://api.mollie.com/v2"
PAYPAL = "https://api-m.sandbox.paypal.com"


def _setup(
    kind: ProviderKind, channel_name: str, **config: Any
) -> tuple[Platform, ProviderConfig, ChannelPolicy, ClientAccount]:
    platform = platform_with_channels()
    cfg = provider_config(platform, kind, **config)
    return platform, cfg, channel(cfg, channel_name), client(platform)


def _start(account: ClientAccount, policy: ChannelPolicy, minor: int) -> Payment:
    return payments.payment_start(
        client_account=account,
        policy=policy,
        amount=eur(minor),
        return_url="https://x.example/guthaben/zahlung/{id}/",
        cancel_url="https://x.example/c/{id}",
        webhook_url=f"https://x.example/hooks/payments/{policy.provider_config_id}/",
    )


# --- Mollie -------------------------------------------------------------------------------


def _mollie_payment(
    payment_id: uuid.UUID,
    *,
    status: str,
    refunded: str | None = None,
    charged_back: str | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "resource": "payment",
        "id": "tr_WDqYK6vllg",
        "mode": "test",
        "createdAt": "2026-12-01T12:00:00+00:00",
        "amount": {"value": "10.00", "currency": "EUR"},
        "description": "Aufladung",
        "method": "paysafecard",
        "metadata": {"payment_id": str(payment_id)},
        "status": status,
        "profileId": "pfl_QkEhN94Ba",
        "sequenceType": "oneoff",
        "redirectUrl": "https://x.example/guthaben/zahlung/",
        "webhookUrl": "https://x.example/hooks/payments/1/",
        "_links": {
            "self": {"href": f"{MOLLIE}/payments/tr_WDqYK6vllg", "type": "application/hal+json"},
            "checkout": {
                "href": "https://www.mollie.com/checkout/select-method/WDqYK6vllg",
                "type": "text/html",
            },
        },
    }
    if status == "paid":
        body["paidAt"] = "2026-12-01T12:01:00+00:00"
        body["amountRemaining"] = {"value": "10.00", "currency": "EUR"}
    if refunded:
        body["amountRefunded"] = {"value": refunded, "currency": "EUR"}
    if charged_back:
        body["amountChargedBack"] = {"value": charged_back, "currency": "EUR"}
    return body


def _mollie_hook(platform: Platform, config: ProviderConfig, body: str) -> int:
    response = Client().post(
        f"/hooks/payments/{config.pk}/",
        data=body,
        content_type="application/x-www-form-urlencoded",
        headers={"host": f"{platform.slug}.localhost"},
    )
    return int(response.status_code)


@responses.activate
def test_mollie_checkout_webhook_refund_and_chargeback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MOLLIE_API_KEY_TEST", "test_dHar4XY7LxsDOtmnkVtjNVWXLSlXsM")
    platform, config, policy, account = _setup(
        ProviderKind.MOLLIE, "paysafecard", secret_env="MOLLIE_API_KEY_TEST"
    )
    pid_holder: dict[str, uuid.UUID] = {}

    def created(request: Any) -> tuple[int, dict[str, str], str]:
        data = json.loads(request.body)
        pid = uuid.UUID(data["metadata"]["payment_id"])
        pid_holder["id"] = pid
        assert data["amount"] == {"currency": "EUR", "value": "10.00"}
        assert data["method"] == "paysafecard"
        assert request.headers["Idempotency-Key"] == f"payment-{pid}"
        return (
            201,
            {"Content-Type": "application/hal+json"},
            json.dumps(_mollie_payment(pid, status="open")),
        )

    responses.add_callback(responses.POST, f"{MOLLIE}/payments", callback=created)
    payment = _start(account, policy, 1000)
    assert payment.external_id == "tr_WDqYK6vllg"
    assert payment.redirect_url.startswith("https://www.mollie.com/checkout/")

    url = f"{MOLLIE}/payments/tr_WDqYK6vllg"
    responses.get(url, json=_mollie_payment(payment.pk, status="paid"))
    assert [_mollie_hook(platform, config, "id=tr_WDqYK6vllg") for _ in range(3)] == [200, 200, 200]
    assert wallets.wallet_balance(client_account=account).total == eur(1000)
    assert InboxEntry.objects.count() == 1

    responses.replace(
        responses.GET, url, json=_mollie_payment(payment.pk, status="paid", refunded="4.00")
    )
    assert _mollie_hook(platform, config, "id=tr_WDqYK6vllg") == 200
    assert wallets.wallet_balance(client_account=account).total == eur(600)

    responses.replace(
        responses.GET,
        url,
        json=_mollie_payment(payment.pk, status="paid", refunded="4.00", charged_back="6.00"),
    )
    assert _mollie_hook(platform, config, "id=tr_WDqYK6vllg") == 200
    balance = wallets.wallet_balance(client_account=account)
    assert balance.total == eur(0)
    payment.refresh_from_db()
    assert (payment.refunded_minor, payment.charged_back_minor) == (400, 600)
    assert_ledger_sound()


@responses.activate
def test_mollie_unknown_id_and_malformed_body_get_400(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MOLLIE_API_KEY_TEST", "test_dHar4XY7LxsDOtmnkVtjNVWXLSlXsM")
    platform, config, _policy, _account = _setup(
        ProviderKind.MOLLIE, "paysafecard", secret_env="MOLLIE_API_KEY_TEST"
    )
    responses.get(
        f"{MOLLIE}/payments/tr_forged1",
        status=404,
        json={
            "status": 404,
            "title": "Not Found",
            "detail": "No payment exists with token tr_forged1.",
            "_links": {
                "documentation": {
                    "href": "https://docs.mollie.com/overview/handling-errors",
                    "type": "text/html",
                }
            },
        },
    )
    assert _mollie_hook(platform, config, "id=tr_forged1") == 400
    assert _mollie_hook(platform, config, "id=../../etc") == 400
    assert _mollie_hook(platform, config, "nonsense") == 400
    assert not InboxEntry.objects.exists()


# --- PayPal -------------------------------------------------------------------------------

ORDER_ID = "5O190127TN364715T"
CAPTURE_ID = "3C679366HH908993F"
PAYPAL_HEADERS = {
    "Paypal-Auth-Algo": "SHA256withRSA",
    "Paypal-Cert-Url": "https://api.sandbox.paypal.com/v1/notifications/certs/CERT-360caa42-fca2a594-1d93a270",
    "Paypal-Transmission-Id": "69cd13f0-d67a-11e5-baa3-778b53f4ae55",
    "Paypal-Transmission-Sig": "lmI95Jx3Y9nhR5SJWlHVIWpg4AgFk7n9bCHSRxbrd8A9zrhdu2rMyFrmz+Zjh3s3boXB07VXCXUZy/UFzUlnGJn0wDugt7FlSvdKeIJenLRemUxYCPVoEZzg9VFNqOa48gMkvF+XTpxBeUx/kWy6B5cp7GkT2+pOowfRK7OaynuxUoKW3JcMWw272VKjLTtTAShncla7tGF+55rxyt2KNZIIqxNMJ48RDZheGU5w1npu9dZHnPgTXB9iomeVRoD8O/jhRpnKsGrDschyNdkeh81BJJMH4Ctc6lnCCquoP/GzCzz33MMsNdid7vL/NIWaCsekQpW26FpWPi/tfj8nLA==",
    "Paypal-Transmission-Time": "2026-12-01T12:05:00Z",
}


def _paypal_auth() -> None:
    responses.post(
        f"{PAYPAL}/v1/oauth2/token",
        json={
            "scope": "https://uri.paypal.com/services/payments/payment",
            "access_token": "A21AAFEpH4PsADK7qSS7pSRsgzfENtu-Q1ysgEDVDESseMHBYXVJYE8ovjj68elIDy8nF26AwPhfXTIeWAZHSLIsQkSYz9ifg",
            "token_type": "Bearer",
            "app_id": "APP-80W284485P519543T",
            "expires_in": 31668,
            "nonce": "2026-12-01T12:00:00Z",
        },
    )


def _paypal_event(event_type: str, resource: dict[str, Any]) -> str:
    return json.dumps(
        {
            "id": f"WH-{uuid.uuid4().hex[:17].upper()}",
            "event_version": "1.0",
            "create_time": "2026-12-01T12:05:00.000Z",
            "resource_type": "capture" if "REFUNDED" not in event_type else "refund",
            "resource_version": "2.0",
            "event_type": event_type,
            "summary": event_type,
            "resource": resource,
            "links": [],
        }
    )


def _paypal_hook(
    platform: Platform, config: ProviderConfig, body: str, headers: dict[str, str]
) -> int:
    response = Client().post(
        f"/hooks/payments/{config.pk}/",
        data=body,
        content_type="application/json",
        headers={"host": f"{platform.slug}.localhost", **headers},
    )
    return int(response.status_code)


@responses.activate
def test_paypal_order_capture_on_return_refund_and_reversal(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PAYPAL_CLIENT_ID_TEST", "AbcClientId")
    monkeypatch.setenv("PAYPAL_SECRET_TEST", "EfgSecret")
    platform, config, policy, account = _setup(
        ProviderKind.PAYPAL,
        "paypal",
        client_id_env="PAYPAL_CLIENT_ID_TEST",
        secret_env="PAYPAL_SECRET_TEST",
        webhook_id="1JE4291016473214C",
    )
    _paypal_auth()
    responses.post(
        f"{PAYPAL}/v2/checkout/orders",
        json={
            "id": ORDER_ID,
            "status": "PAYER_ACTION_REQUIRED",
            "payment_source": {"paypal": {}},
            "links": [
                {
                    "href": f"https://api.sandbox.paypal.com/v2/checkout/orders/{ORDER_ID}",
                    "rel": "self",
                    "method": "GET",
                },
                {
                    "href": f"https://www.sandbox.paypal.com/checkoutnow?token={ORDER_ID}",
                    "rel": "payer-action",
                    "method": "GET",
                },
            ],
        },
    )
    payment = _start(account, policy, 2000)
    order_call = next(
        c for c in responses.calls if str(c.request.url).endswith("/v2/checkout/orders")
    )
    assert order_call.request.headers["PayPal-Request-Id"] == f"payment-{payment.pk}"
    assert json.loads(order_call.request.body or "{}")["purchase_units"][0]["custom_id"] == str(
        payment.pk
    )
    assert payment.external_id == ORDER_ID
    assert payment.redirect_url.endswith(f"token={ORDER_ID}")

    capture = {
        "id": CAPTURE_ID,
        "status": "COMPLETED",
        "amount": {"currency_code": "EUR", "value": "20.00"},
        "final_capture": True,
        "custom_id": str(payment.pk),
        "seller_protection": {"status": "ELIGIBLE"},
        "create_time": "2026-12-01T12:03:00Z",
    }
    responses.post(
        f"{PAYPAL}/v2/checkout/orders/{ORDER_ID}/capture",
        json={
            "id": ORDER_ID,
            "status": "COMPLETED",
            "purchase_units": [{"reference_id": "default", "payments": {"captures": [capture]}}],
        },
        status=201,
    )
    browser = Client()
    browser.force_login(account.user)
    page = browser.get(
        f"/guthaben/zahlung/{payment.pk}/?token={ORDER_ID}&PayerID=FSMVU44LF3YUS",
        headers={"host": f"{platform.slug}.localhost"},
    )
    assert 'data-status="succeeded"' in page.content.decode()
    payment.refresh_from_db()
    assert payment.external_ref == CAPTURE_ID
    assert wallets.wallet_balance(client_account=account).total == eur(2000)

    responses.post(
        f"{PAYPAL}/v1/notifications/verify-webhook-signature",
        json={"verification_status": "SUCCESS"},
    )
    completed = _paypal_event(
        "PAYMENT.CAPTURE.COMPLETED",
        capture | {"supplementary_data": {"related_ids": {"order_id": ORDER_ID}}},
    )
    assert _paypal_hook(platform, config, completed, PAYPAL_HEADERS) == 200  # late: credits nothing
    refund = {
        "id": "1JU08902781691411",
        "status": "COMPLETED",
        "amount": {"currency_code": "EUR", "value": "5.00"},
        "custom_id": str(payment.pk),
        "links": [
            {
                "href": f"{PAYPAL}/v2/payments/refunds/1JU08902781691411",
                "rel": "self",
                "method": "GET",
            },
            {"href": f"{PAYPAL}/v2/payments/captures/{CAPTURE_ID}", "rel": "up", "method": "GET"},
        ],
    }
    refunded = _paypal_event("PAYMENT.CAPTURE.REFUNDED", refund)
    assert _paypal_hook(platform, config, refunded, PAYPAL_HEADERS) == 200
    assert _paypal_hook(platform, config, refunded, PAYPAL_HEADERS) == 200
    assert wallets.wallet_balance(client_account=account).total == eur(1500)
    reversed_ = _paypal_event(
        "PAYMENT.CAPTURE.REVERSED",
        capture | {"status": "REVERSED", "amount": {"currency_code": "EUR", "value": "15.00"}},
    )
    assert _paypal_hook(platform, config, reversed_, PAYPAL_HEADERS) == 200
    assert wallets.wallet_balance(client_account=account).total == eur(0)
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    assert (payment.refunded_minor, payment.charged_back_minor) == (500, 1500)
    assert_ledger_sound()


@responses.activate
def test_paypal_unverified_or_unsigned_webhook_gets_400(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAYPAL_CLIENT_ID_TEST", "AbcClientId")
    monkeypatch.setenv("PAYPAL_SECRET_TEST", "EfgSecret")
    platform, config, _policy, _account = _setup(
        ProviderKind.PAYPAL,
        "paypal",
        client_id_env="PAYPAL_CLIENT_ID_TEST",
        secret_env="PAYPAL_SECRET_TEST",
        webhook_id="1JE4291016473214C",
    )
    _paypal_auth()
    responses.post(
        f"{PAYPAL}/v1/notifications/verify-webhook-signature",
        json={"verification_status": "FAILURE"},
    )
    body = _paypal_event("PAYMENT.CAPTURE.COMPLETED", {"id": CAPTURE_ID})
    assert _paypal_hook(platform, config, body, PAYPAL_HEADERS) == 400
    assert _paypal_hook(platform, config, body, {}) == 400
    assert not InboxEntry.objects.exists()
