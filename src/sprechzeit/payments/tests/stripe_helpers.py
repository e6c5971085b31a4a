"""Stripe notifications signed exactly as Stripe signs them (the library's own scheme)."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import stripe
from django.test import Client

from sprechzeit.payments.models import ProviderConfig

WEBHOOK_SECRET = "whsec_test_" + "s" * 24
API_KEY = "sk_test_" + "k" * 24


def signature_header(
    payload: str, *, secret: str = WEBHOOK_SECRET, timestamp: int | None = None
) -> str:
    timestamp = int(time.time()) if timestamp is None else timestamp
    signature = stripe.WebhookSignature._compute_signature(f"{timestamp}.{payload}", secret)
    return f"t={timestamp},{stripe.WebhookSignature.EXPECTED_SCHEME}={signature}"


def event(type: str, obj: dict[str, Any], *, event_id: str | None = None) -> str:
    return json.dumps(
        {
            "id": event_id or f"evt_{uuid.uuid4().hex[:24]}",
            "object": "event",
            "api_version": "2025-03-31.basil",
            "created": int(time.time()),
            "livemode": False,
            "pending_webhooks": 1,
            "type": type,
            "data": {"object": obj},
        }
    )


def session_completed(
    payment_id: uuid.UUID, amount: int, *, paid: bool = True, pi: str = "pi_test_1"
) -> dict[str, Any]:
    return {
        "id": "cs_test_a1",
        "object": "checkout.session",
        "amount_total": amount,
        "currency": "eur",
        "client_reference_id": str(payment_id),
        "metadata": {"payment_id": str(payment_id)},
        "mode": "payment",
        "payment_intent": pi,
        "payment_status": "paid" if paid else "unpaid",
        "status": "complete",
    }


def intent(
    payment_id: uuid.UUID, amount: int, *, status: str, pi: str = "pi_test_1"
) -> dict[str, Any]:
    return {
        "id": pi,
        "object": "payment_intent",
        "amount": amount,
        "amount_received": amount if status == "succeeded" else 0,
        "currency": "eur",
        "metadata": {"payment_id": str(payment_id)},
        "status": status,
        "last_payment_error": {"code": "card_declined"}
        if status == "requires_payment_method"
        else None,
    }


def dispute(
    payment_id: uuid.UUID, amount: int, *, status: str, pi: str = "pi_test_1", fee: int = 1500
) -> dict[str, Any]:
    return {
        "id": "dp_test_1",
        "object": "dispute",
        "amount": amount,
        "currency": "eur",
        "charge": "ch_test_1",
        "payment_intent": pi,
        "reason": "fraudulent",
        "status": status,
        "metadata": {},
        "balance_transactions": [{"id": "txn_1", "amount": -amount, "fee": fee, "currency": "eur"}],
    }


def post(
    browser: Client, config: ProviderConfig, payload: str, *, header: str | None, host: str
) -> Any:
    headers = {"host": host}
    if header is not None:
        headers["Stripe-Signature"] = header
    return browser.post(
        f"/hooks/payments/{config.pk}/",
        data=payload,
        content_type="application/json",
        headers=headers,
    )
