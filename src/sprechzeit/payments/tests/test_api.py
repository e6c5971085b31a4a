"""API v1: wallet, top-ups (redirect or bank transfer details), payments, OpenAPI."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from sprechzeit.payments.models import Payment, ProviderKind
from sprechzeit.payments.services.sandbox import sandbox_deliver
from sprechzeit.payments.tests.factories import (
    channel,
    client,
    eur,
    host,
    provider_config,
    sandbox_setup,
)
from sprechzeit.wallets import services as wallets

pytestmark = pytest.mark.django_db


def test_wallet_topup_and_payments_api() -> None:
    platform, _config, policy = sandbox_setup()
    platform.legal_entity.iban = "DE89370400440532013000"
    platform.legal_entity.save()
    channel(provider_config(platform, ProviderKind.BANK_TRANSFER), "bank_transfer")
    account = client(platform)
    api = Client()
    assert api.get("/api/v1/wallet", headers=host(platform)).status_code == 401
    api.force_login(account.user)
    created = api.post(
        "/api/v1/wallet/topups",
        data=json.dumps({"amount_minor": 2500, "channel_id": policy.pk}),
        content_type="application/json",
        headers=host(platform),
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["kind"] == "redirect"
    assert body["redirect_url"].endswith(f"/testkasse/{body['id']}/")
    sandbox_deliver(payment=Payment.objects.get(pk=body["id"]), event_type="payment.succeeded")
    wallet = api.get("/api/v1/wallet", headers=host(platform)).json()
    assert wallet["total"] == {"amount_minor": 2500, "currency": "EUR"}
    listed = api.get("/api/v1/wallet/payments", headers=host(platform)).json()["payments"]
    assert [p["status"] for p in listed] == ["succeeded"]
    bank = api.post(
        "/api/v1/wallet/topups",
        data=json.dumps({"amount_minor": 5000, "channel": "bank_transfer"}),
        content_type="application/json",
        headers=host(platform),
    ).json()
    assert bank["kind"] == "bank_transfer"
    assert bank["reference"].startswith("RF")
    assert bank["iban"] == "DE89370400440532013000"


def test_topup_api_bad_input() -> None:
    platform, _config, policy = sandbox_setup(max_minor=10000)
    account = client(platform)
    api = Client()
    api.force_login(account.user)

    def post(payload: object, content_type: str = "application/json") -> int:
        response = api.post(
            "/api/v1/wallet/topups",
            data=json.dumps(payload),
            content_type=content_type,
            headers=host(platform),
        )
        return int(response.status_code)

    assert post({"amount_minor": 10001, "channel_id": policy.pk}) == 400
    assert post({"amount_minor": "x", "channel_id": policy.pk}) == 400
    assert post({"channel_id": policy.pk}) == 400
    assert post({"amount_minor": 1000, "channel_id": 999999}) == 400
    assert post({"amount_minor": 1000, "channel_id": policy.pk}, content_type="text/plain") == 415
    wallets.wallet_block(client_account=account, reason="staff")
    assert post({"amount_minor": 1000, "channel_id": policy.pk}) == 403
    assert eur(0) == wallets.wallet_balance(client_account=account).total


def test_openapi_documents_the_wallet_paths() -> None:
    platform, _config, _policy = sandbox_setup()
    schema = Client().get("/api/openapi.json", headers=host(platform)).json()
    assert schema["openapi"].startswith("3.")
    assert {"/api/v1/wallet", "/api/v1/wallet/topups", "/api/v1/wallet/payments"} <= set(
        schema["paths"]
    )
