"""Mollie with `mollie-api-python` (paysafecard, bank transfer, Klarna, PayPal via
Mollie, …). Mollie's webhook carries only a payment id and no signature: the adapter
fetches the payment with our API key, which is what makes the notification authentic
(an id Mollie does not know is refused with 400). The inbox key is the payment id plus
the fetched state, so each real change is processed once and a repeat is a replay.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from typing import Any, Final
from urllib.parse import parse_qs

from mollie.api.client import Client
from mollie.api.error import Error as MollieError
from mollie.api.error import NotFoundError
from mollie.api.resources.refunds import PaymentRefunds

from sprechzeit.core.money import Money
from sprechzeit.payments.errors import InvalidSignature, MalformedEvent, ProviderUnavailable
from sprechzeit.payments.providers.base import (
    CheckoutRequest,
    CheckoutResult,
    PaymentUpdate,
    ProviderEvent,
    RefundCall,
    RefundResult,
    UpdateKind,
)

_PAYMENT_ID: Final = re.compile(r"^tr_[A-Za-z0-9]+$")
# Our channel → Mollie method (None: Mollie's hosted page lets the payer choose).
_METHODS: Final[Mapping[str, str | None]] = {
    "card": "creditcard",
    "paysafecard": "paysafecard",
    "bank_transfer": "banktransfer",
    "klarna": "klarna",
    "paypal": "paypal",
}
_STATUS: Final[Mapping[str, UpdateKind]] = {
    "paid": UpdateKind.SUCCEEDED,
    "pending": UpdateKind.PROCESSING,
    "authorized": UpdateKind.PROCESSING,
    "failed": UpdateKind.FAILED,
    "canceled": UpdateKind.CANCELED,
    "expired": UpdateKind.CANCELED,
}


def _value(amount: Money) -> dict[str, str]:
    return {"currency": amount.currency, "value": f"{amount.amount:.2f}"}


def _money(raw: Any) -> Money | None:
    if not isinstance(raw, Mapping) or "value" not in raw:
        return None
    # A string such as "10.00"; NaN, Infinity, 1e999999 or junk: InvalidAmount (core.money).
    return Money.from_decimal(str(raw["value"]), str(raw.get("currency", "EUR")))


class MollieProvider:
    def __init__(self, *, api_key: str) -> None:
        self.api_key = api_key

    def _client(self) -> Client:
        client = Client(retry=0)
        client.set_api_key(self.api_key)
        return client

    def checkout_create(self, request: CheckoutRequest) -> CheckoutResult:
        data: dict[str, Any] = {
            "amount": _value(request.amount),
            "description": request.description,
            "redirectUrl": request.return_url,
            "cancelUrl": request.cancel_url,
            "webhookUrl": request.webhook_url,
            "metadata": {"payment_id": str(request.payment_id)},
        }
        method = _METHODS.get(request.channel)
        if method:
            data["method"] = method
        try:
            payment = self._client().payments.create(data, idempotency_key=request.idempotency_key)
        except MollieError as exc:
            raise ProviderUnavailable(provider="mollie", detail=str(exc)) from exc
        return CheckoutResult(
            external_id=str(payment["id"]), redirect_url=str(payment.checkout_url)
        )

    def event_parse(self, *, body: bytes, headers: Mapping[str, str]) -> ProviderEvent:
        try:
            ids = parse_qs(body.decode("utf-8"), strict_parsing=True).get("id", [])
        except (UnicodeDecodeError, ValueError) as exc:
            raise MalformedEvent() from exc
        if len(ids) != 1 or not _PAYMENT_ID.match(ids[0]):
            raise MalformedEvent()
        try:
            payment = dict(self._client().payments.get(ids[0]))
        except NotFoundError as exc:
            raise InvalidSignature(detail="Mollie does not know this payment.") from exc
        except MollieError as exc:
            raise ProviderUnavailable(provider="mollie", detail=str(exc)) from exc
        refunded = (payment.get("amountRefunded") or {}).get("value", "0.00")
        charged_back = (payment.get("amountChargedBack") or {}).get("value", "0.00")
        status = str(payment.get("status", ""))
        return ProviderEvent(
            external_id=f"{ids[0]}:{status}:{refunded}:{charged_back}",
            type=f"payment.{status}",
            payload=payment,
        )

    def event_updates(self, event: ProviderEvent) -> tuple[PaymentUpdate, ...]:
        payment = event.payload
        metadata = payment.get("metadata") or {}
        try:
            payment_id = (
                uuid.UUID(str(metadata.get("payment_id"))) if metadata.get("payment_id") else None
            )
            amount = _money(payment.get("amount"))
            refunded = _money(payment.get("amountRefunded"))
            charged_back = _money(payment.get("amountChargedBack"))
        except (ValueError, TypeError) as exc:
            raise MalformedEvent() from exc
        external_id = str(payment.get("id", ""))
        kind = _STATUS.get(str(payment.get("status", "")))
        details = payment.get("details") or {}
        fingerprint = str(details.get("cardFingerprint") or details.get("consumerAccount") or "")
        updates: list[PaymentUpdate] = []
        if kind is not None:
            updates.append(
                PaymentUpdate(
                    kind=kind,
                    payment_id=payment_id,
                    external_id=external_id,
                    amount=amount,
                    fingerprint=f"mollie:{fingerprint}" if fingerprint else "",
                    reason=str(details.get("failureReason", "")),
                )
            )
        if refunded is not None and refunded.minor > 0:
            # amountRefunded is the running total of all refunds of the payment.
            updates.append(
                PaymentUpdate(
                    kind=UpdateKind.REFUNDED,
                    payment_id=payment_id,
                    external_id=external_id,
                    amount=refunded,
                )
            )
        if charged_back is not None and charged_back.minor > 0:
            updates.append(
                PaymentUpdate(
                    kind=UpdateKind.DISPUTE_LOST,
                    payment_id=payment_id,
                    external_id=external_id,
                    amount=charged_back,
                    dispute_id=f"{external_id}:chargeback",
                    reason="chargeback",
                )
            )
        return tuple(updates)

    def checkout_return(
        self, *, external_id: str, params: Mapping[str, str]
    ) -> tuple[PaymentUpdate, ...]:
        return ()

    def refund_create(self, call: RefundCall) -> RefundResult:
        client = self._client()
        try:
            payment = client.payments.get(call.payment_external_id)
            refund = PaymentRefunds(client, payment).create(
                {"amount": _value(call.amount), "metadata": {"refund_id": str(call.refund_id)}},
                idempotency_key=call.idempotency_key,
            )
        except MollieError as exc:
            raise ProviderUnavailable(provider="mollie", detail=str(exc)) from exc
        return RefundResult(
            external_id=str(refund["id"]),
            succeeded=str(refund.get("status")) in ("queued", "pending", "processing", "refunded"),
        )
