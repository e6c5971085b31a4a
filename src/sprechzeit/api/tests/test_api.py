"""API v1: wallet, top-ups (redirect or bank transfer details), payments, the generated
OpenAPI document; who may call it; every hostile input answered with a 4xx that changes
nothing."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from sprechzeit.accounts.tests.factories import partner_with_listing
from sprechzeit.api.handlers import MAX_BODY_BYTES
from sprechzeit.api.urls import api as json_api
from sprechzeit.ledger.tests.helpers import assert_ledger_sound
from sprechzeit.payments.models import Payment, ProviderKind
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

TOPUPS = "/api/v1/wallet/topups"


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
        TOPUPS,
        data=json.dumps({"amount_minor": 2500, "channel_id": policy.pk}),
        content_type="application/json",
        headers=host(platform),
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["kind"] == "redirect"
    assert body["amount"] == {"amount_minor": 2500, "currency": "EUR"}
    assert body["redirect_url"].endswith(f"/testkasse/{body['id']}/")
    # The payer pays at the sandbox's hosted checkout, as a browser would.
    paid = api.post(f"/testkasse/{body['id']}/", {"outcome": "success"}, headers=host(platform))
    assert paid.status_code == 302
    wallet = api.get("/api/v1/wallet", headers=host(platform)).json()
    assert wallet["total"] == {"amount_minor": 2500, "currency": "EUR"}
    assert wallet["blocked"] is False
    assert [c["id"] for c in wallet["channels"]] == sorted(c["id"] for c in wallet["channels"])
    assert policy.pk in [c["id"] for c in wallet["channels"]]
    listed = api.get("/api/v1/wallet/payments", headers=host(platform)).json()["payments"]
    assert [(p["status"], p["credited"]) for p in listed] == [("succeeded", True)]
    bank = api.post(
        TOPUPS,
        data=json.dumps({"amount_minor": 5000, "channel": "bank_transfer"}),
        content_type="application/json",
        headers=host(platform),
    )
    assert bank.status_code == 200
    assert bank.json()["kind"] == "bank_transfer"
    assert bank.json()["reference"].startswith("RF")
    assert bank.json()["iban"] == "DE89370400440532013000"
    assert Payment.objects.count() == 1  # a bank transfer creates nothing
    assert_ledger_sound()


def test_only_a_client_of_this_platform_is_let_in() -> None:
    platform, _config, policy = sandbox_setup()
    other, _other_config, _other_policy = sandbox_setup()
    stranger = client(other)
    partner, _listing = partner_with_listing(platform=platform)
    for user in (None, stranger.user, partner.user):
        api = Client()
        if user is not None:
            api.force_login(user)
        for response in (
            api.get("/api/v1/wallet", headers=host(platform)),
            api.get("/api/v1/wallet/payments", headers=host(platform)),
            api.post(
                TOPUPS,
                data=json.dumps({"amount_minor": 1000, "channel_id": policy.pk}),
                content_type="application/json",
                headers=host(platform),
            ),
        ):
            assert response.status_code == 401
            assert response.json()["code"] == "not_authenticated"
    assert not Payment.objects.exists()


def test_a_json_post_needs_no_csrf_token_and_a_form_post_is_refused() -> None:
    """The API's CSRF defence (auth.ClientSession): a cross-site form can send
    text/plain or form data with the victim's cookie, never application/json."""
    platform, _config, policy = sandbox_setup()
    account = client(platform)
    api = Client(enforce_csrf_checks=True)
    api.force_login(account.user)
    payload = json.dumps({"amount_minor": 1000, "channel_id": policy.pk})
    for content_type in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data"):
        refused = api.post(TOPUPS, data=payload, content_type=content_type, headers=host(platform))
        assert refused.status_code == 415, content_type
        assert refused.json()["code"] == "unsupported_media_type"
    assert not Payment.objects.exists()
    accepted = api.post(
        TOPUPS, data=payload, content_type="application/json", headers=host(platform)
    )
    assert accepted.status_code == 201
    assert Payment.objects.count() == 1


# Each hostile body (raw JSON text, so that NaN and huge numbers reach the server as sent)
# and the code it must be answered with.
HOSTILE: list[tuple[str, str]] = [
    ('{"amount_minor": 1000, "channel_id": "abc"}', "invalid_request"),
    ('{"amount_minor": 1000, "channel_id": {}}', "invalid_request"),
    ('{"amount_minor": 1000, "channel_id": [1]}', "invalid_request"),
    ('{"amount_minor": 1000, "channel_id": true}', "invalid_request"),
    ('{"amount_minor": 1000, "channel_id": 1.0}', "invalid_request"),
    ('{"amount_minor": 1000, "channel_id": 0}', "invalid_request"),
    ('{"amount_minor": 1000, "channel_id": -4}', "invalid_request"),
    ('{"amount_minor": 1000, "channel_id": 99999999999999999999999}', "invalid_request"),
    ('{"amount_minor": false, "channel_id": %(policy)s}', "invalid_request"),
    ('{"amount_minor": true, "channel_id": %(policy)s}', "invalid_request"),
    ('{"amount_minor": "1000", "channel_id": %(policy)s}', "invalid_request"),
    ('{"amount_minor": "x", "channel_id": %(policy)s}', "invalid_request"),
    ('{"amount_minor": 1000.5, "channel_id": %(policy)s}', "invalid_request"),
    ('{"amount_minor": 1e999999, "channel_id": %(policy)s}', "invalid_request"),
    ('{"amount_minor": 0, "channel_id": %(policy)s}', "invalid_request"),
    ('{"amount_minor": -500, "channel_id": %(policy)s}', "invalid_request"),
    ('{"amount_minor": null, "channel_id": %(policy)s}', "invalid_request"),
    ('{"amount_minor": 100000001, "channel_id": %(policy)s}', "invalid_request"),
    ('{"amount_minor": Infinity, "channel_id": %(policy)s}', "invalid_json"),
    ('{"amount_minor": -Infinity, "channel_id": %(policy)s}', "invalid_json"),
    ('{"amount_minor": NaN, "channel_id": %(policy)s}', "invalid_json"),
    ('{"amount_minor": ' + "9" * 5000 + ', "channel_id": %(policy)s}', "invalid_json"),
    ('{"channel_id": %(policy)s}', "invalid_request"),
    ('{"amount_minor": 1000, "currency": "eur", "channel_id": %(policy)s}', "invalid_request"),
    ('{"amount_minor": 1000, "currency": 978, "channel_id": %(policy)s}', "invalid_request"),
    ('{"amount_minor": 1000, "currency": "XXX", "channel_id": %(policy)s}', "currency_mismatch"),
    ('{"amount_minor": 1000, "currency": "USD", "channel_id": %(policy)s}', "amount_out_of_range"),
    ('{"amount_minor": 1000, "channel": "bitcoin"}', "invalid_request"),
    ('{"amount_minor": 1000, "channel": 7}', "invalid_request"),
    ('{"amount_minor": 1000, "channel_id": 999999}', "channel_unavailable"),
    ('{"amount_minor": 1000}', "channel_unavailable"),
    ('{"amount_minor": 10001, "channel_id": %(policy)s}', "amount_out_of_range"),
    ("[1]", "invalid_request"),
    ('"amount_minor"', "invalid_request"),
    ("null", "invalid_request"),
    ("", "unsupported_media_type"),  # no body, so no content type either
    ("{", "invalid_json"),
    ("\udcff\udcfe", "invalid_json"),
    ("[" * 5000 + "]" * 5000, "invalid_request"),
    (
        '{"amount_minor": 1000, "channel_id": %(policy)s, "pad": "' + "x" * MAX_BODY_BYTES + '"}',
        "body_too_large",
    ),
]


@pytest.mark.parametrize(("raw", "code"), HOSTILE, ids=[code for _raw, code in HOSTILE])
def test_hostile_topup_bodies_get_a_4xx_and_change_nothing(raw: str, code: str) -> None:
    platform, _config, policy = sandbox_setup(max_minor=10000)
    account = client(platform)
    api = Client()
    api.force_login(account.user)
    body = raw.replace("%(policy)s", str(policy.pk)).encode("utf-8", "surrogateescape")
    response = api.post(TOPUPS, data=body, content_type="application/json", headers=host(platform))
    assert 400 <= response.status_code < 500, response.content
    error: dict[str, Any] = response.json()
    assert set(error) == {"code", "message", "fields"}
    assert error["code"] == code, error
    assert error["message"]
    assert not Payment.objects.exists()
    assert eur(0) == wallets.wallet_balance(client_account=account).total
    assert_ledger_sound()


def test_invalid_fields_are_named() -> None:
    platform, _config, _policy = sandbox_setup()
    account = client(platform)
    api = Client()
    api.force_login(account.user)
    response = api.post(
        TOPUPS,
        data=json.dumps({"amount_minor": False, "channel_id": "abc"}),
        content_type="application/json",
        headers=host(platform),
    )
    assert response.status_code == 400
    assert set(response.json()["fields"]) == {"amount_minor", "channel_id"}


def test_domain_refusals_keep_their_status() -> None:
    platform, _config, policy = sandbox_setup()
    account = client(platform)
    api = Client()
    api.force_login(account.user)

    def post() -> tuple[int, str]:
        response = api.post(
            TOPUPS,
            data=json.dumps({"amount_minor": 1000, "channel_id": policy.pk}),
            content_type="application/json",
            headers=host(platform),
        )
        return response.status_code, response.json()["code"]

    wallets.wallet_block(client_account=account, reason="staff")
    assert post() == (403, "wallet_blocked")
    assert not Payment.objects.exists()
    assert_ledger_sound()


def test_the_served_openapi_document_is_the_generated_one() -> None:
    platform, _config, _policy = sandbox_setup()
    response = Client().get("/api/openapi.json", headers=host(platform))
    assert response.status_code == 200
    schema = response.json()
    assert schema == json.loads(json.dumps(json_api.get_openapi_schema()))
    assert schema["openapi"].startswith("3.1")
    assert set(schema["paths"]) == {
        "/api/v1/wallet",
        "/api/v1/wallet/topups",
        "/api/v1/wallet/payments",
    }
    request = schema["components"]["schemas"]["TopupRequest"]
    assert request["required"] == ["amount_minor"]
    assert request["properties"]["amount_minor"]["type"] == "integer"
    assert schema["components"]["securitySchemes"]["ClientSession"] == {
        "type": "apiKey",
        "in": "cookie",
        "name": "sessionid",
    }
