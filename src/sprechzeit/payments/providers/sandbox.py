"""The embedded test provider: a hosted TEST MODE checkout on our own server.

The payer picks success, failure or "pending, settles later" on `/testkasse/<id>/`;
staff can raise a chargeback from the admin. Each choice becomes a notification signed
with an HMAC of the site's secret and goes through the same inbox as a real provider's.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from collections.abc import Mapping
from typing import Any, Final

from django.conf import settings
from django.urls import reverse

from sprechzeit.core.inputs import minor_parse
from sprechzeit.core.money import Money
from sprechzeit.payments.errors import InvalidSignature, MalformedEvent
from sprechzeit.payments.providers.base import (
    CheckoutRequest,
    CheckoutResult,
    PaymentUpdate,
    ProviderEvent,
    RefundCall,
    RefundResult,
    UpdateKind,
)

SIGNATURE_HEADER: Final = "X-Sandbox-Signature"

_KINDS: Final = {
    "payment.succeeded": UpdateKind.SUCCEEDED,
    "payment.pending": UpdateKind.PROCESSING,
    "payment.failed": UpdateKind.FAILED,
    "payment.canceled": UpdateKind.CANCELED,
    "dispute.opened": UpdateKind.DISPUTE_OPENED,
    "dispute.won": UpdateKind.DISPUTE_WON,
    "dispute.lost": UpdateKind.DISPUTE_LOST,
    "refund.succeeded": UpdateKind.REFUNDED,
}


def _key(config_id: int) -> bytes:
    return hashlib.sha256(f"sandbox:{config_id}:{settings.SECRET_KEY}".encode()).digest()


def sign(config_id: int, body: bytes) -> str:
    return hmac.new(_key(config_id), body, hashlib.sha256).hexdigest()


def event_body(
    *, type: str, payment_id: uuid.UUID, amount: Money, fingerprint: str = "", dispute_id: str = ""
) -> bytes:
    """A sandbox notification as the hosted checkout sends it."""
    return json.dumps(
        {
            "id": f"evt_{uuid.uuid4().hex}",
            "type": type,
            "payment_id": str(payment_id),
            "amount_minor": amount.minor,
            "currency": amount.currency,
            "fingerprint": fingerprint,
            "dispute_id": dispute_id,
        },
        sort_keys=True,
    ).encode()


class SandboxProvider:
    def __init__(self, *, config_id: int) -> None:
        self.config_id = config_id

    def checkout_create(self, request: CheckoutRequest) -> CheckoutResult:
        return CheckoutResult(
            external_id=f"sandbox_{request.payment_id.hex}",
            redirect_url=reverse("payments:sandbox_checkout", args=[request.payment_id]),
        )

    def event_parse(self, *, body: bytes, headers: Mapping[str, str]) -> ProviderEvent:
        signature = headers.get(SIGNATURE_HEADER, "")
        if not signature or not hmac.compare_digest(signature, sign(self.config_id, body)):
            raise InvalidSignature()
        try:
            data: Any = json.loads(body)
            return ProviderEvent(external_id=str(data["id"]), type=str(data["type"]), payload=data)
        except (ValueError, KeyError, TypeError) as exc:
            raise MalformedEvent() from exc

    def event_updates(self, event: ProviderEvent) -> tuple[PaymentUpdate, ...]:
        kind = _KINDS.get(event.type)
        if kind is None:
            return ()
        data = event.payload
        try:
            amount = Money(
                minor_parse(data["amount_minor"], field="amount_minor"), str(data["currency"])
            )
            payment_id = uuid.UUID(str(data["payment_id"]))
        except (KeyError, ValueError, TypeError) as exc:
            raise MalformedEvent() from exc
        return (
            PaymentUpdate(
                kind=kind,
                payment_id=payment_id,
                amount=amount,
                fingerprint=str(data.get("fingerprint", "")),
                dispute_id=str(data.get("dispute_id", "")),
            ),
        )

    def checkout_return(
        self, *, external_id: str, params: Mapping[str, str]
    ) -> tuple[PaymentUpdate, ...]:
        return ()

    def refund_create(self, call: RefundCall) -> RefundResult:
        return RefundResult(external_id=f"sandbox_re_{call.refund_id.hex}", succeeded=True)
