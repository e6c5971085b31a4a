"""Stripe with the official library: Checkout Sessions for cards, SEPA Direct Debit,
Klarna and whatever the account enables; webhooks verified with `Stripe-Signature` on
the raw body (300 s tolerance), before the JSON is read.

Our payment id travels as `client_reference_id` and as metadata of the session and of
its PaymentIntent, so every event finds its payment whatever the order of arrival.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any, Final

import stripe

from sprechzeit.core.inputs import minor_parse
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

TOLERANCE_SECONDS: Final = 300
# Our channel → Stripe payment method type (None: whatever the account enables).
_METHODS: Final[Mapping[str, str | None]] = {
    "card": "card",
    "sepa_debit": "sepa_debit",
    "klarna": "klarna",
    "paypal": "paypal",
}


def _payment_id(obj: Mapping[str, Any]) -> uuid.UUID | None:
    metadata = obj.get("metadata") or {}
    raw = obj.get("client_reference_id") or metadata.get("payment_id")
    try:
        return uuid.UUID(str(raw)) if raw else None
    except ValueError:
        return None


def _money(minor: Any, currency: Any) -> Money | None:
    if minor is None or not currency:
        return None
    return Money(minor_parse(minor, field="amount"), str(currency).upper())


def _id(value: Any) -> str:
    """A Stripe reference is an id or an expanded object."""
    if isinstance(value, Mapping):
        return str(value.get("id", ""))
    return str(value or "")


class StripeProvider:
    def __init__(self, *, api_key: str, webhook_secret: str) -> None:
        self.api_key = api_key
        self.webhook_secret = webhook_secret

    def _client(self) -> stripe.StripeClient:
        return stripe.StripeClient(self.api_key, max_network_retries=2)

    def checkout_create(self, request: CheckoutRequest) -> CheckoutResult:
        params: dict[str, Any] = {
            "mode": "payment",
            "client_reference_id": str(request.payment_id),
            "metadata": {"payment_id": str(request.payment_id)},
            "payment_intent_data": {"metadata": {"payment_id": str(request.payment_id)}},
            "line_items": [
                {
                    "quantity": 1,
                    "price_data": {
                        "currency": request.amount.currency.lower(),
                        "unit_amount": request.amount.minor,
                        "product_data": {"name": request.description},
                    },
                }
            ],
            "success_url": request.return_url,
            "cancel_url": request.cancel_url,
        }
        if request.customer_email:
            params["customer_email"] = request.customer_email
        method = _METHODS.get(request.channel)
        if method:
            params["payment_method_types"] = [method]
        try:
            session = self._client().v1.checkout.sessions.create(
                params=params,  # type: ignore[arg-type]
                options={"idempotency_key": request.idempotency_key},
            )
        except stripe.StripeError as exc:
            raise ProviderUnavailable(provider="stripe", detail=str(exc)) from exc
        data = session.to_dict()
        return CheckoutResult(
            external_id=_id(data.get("payment_intent")),
            external_ref=str(data["id"]),
            redirect_url=str(data["url"]),
        )

    def event_parse(self, *, body: bytes, headers: Mapping[str, str]) -> ProviderEvent:
        signature = headers.get("Stripe-Signature")
        try:
            event = stripe.Webhook.construct_event(
                body, signature, self.webhook_secret, tolerance=TOLERANCE_SECONDS
            )
        except stripe.SignatureVerificationError as exc:
            raise InvalidSignature(detail=str(exc)) from exc
        except (ValueError, AttributeError, TypeError) as exc:  # verified, but not an object
            raise MalformedEvent() from exc
        data = event.to_dict()
        if not isinstance(data.get("data"), Mapping) or not isinstance(
            data["data"].get("object"), Mapping
        ):
            raise MalformedEvent()
        if not isinstance(data.get("id"), str) or not isinstance(data.get("type"), str):
            raise MalformedEvent()
        return ProviderEvent(external_id=str(data["id"]), type=str(data["type"]), payload=data)

    def event_updates(self, event: ProviderEvent) -> tuple[PaymentUpdate, ...]:
        obj: Mapping[str, Any] = event.payload["data"]["object"]
        kind = event.type
        if kind.startswith("checkout.session."):
            return self._session(kind, obj)
        if kind.startswith("payment_intent."):
            return self._intent(kind, obj)
        if kind in ("charge.succeeded", "charge.refunded"):
            return self._charge(kind, obj)
        if kind.startswith("charge.dispute."):
            return self._dispute(kind, obj)
        return ()

    @staticmethod
    def _session(kind: str, obj: Mapping[str, Any]) -> tuple[PaymentUpdate, ...]:
        common: dict[str, Any] = {
            "payment_id": _payment_id(obj),
            "external_id": _id(obj.get("payment_intent")),
            "external_ref": str(obj.get("id", "")),
            "amount": _money(obj.get("amount_total"), obj.get("currency")),
        }
        if kind == "checkout.session.completed":
            status = obj.get("payment_status")
            if status == "paid":
                return (PaymentUpdate(kind=UpdateKind.SUCCEEDED, **common),)
            if status == "unpaid":  # a delayed method (SEPA Direct Debit): settles later
                return (PaymentUpdate(kind=UpdateKind.PROCESSING, **common),)
            return ()
        if kind == "checkout.session.async_payment_succeeded":
            return (PaymentUpdate(kind=UpdateKind.SUCCEEDED, **common),)
        if kind == "checkout.session.async_payment_failed":
            return (PaymentUpdate(kind=UpdateKind.FAILED, reason="async_payment_failed", **common),)
        if kind == "checkout.session.expired":
            return (PaymentUpdate(kind=UpdateKind.CANCELED, reason="expired", **common),)
        return ()

    @staticmethod
    def _intent(kind: str, obj: Mapping[str, Any]) -> tuple[PaymentUpdate, ...]:
        mapping = {
            "payment_intent.succeeded": UpdateKind.SUCCEEDED,
            "payment_intent.processing": UpdateKind.PROCESSING,
            "payment_intent.payment_failed": UpdateKind.FAILED,
            "payment_intent.canceled": UpdateKind.CANCELED,
        }
        update_kind = mapping.get(kind)
        if update_kind is None:
            return ()
        amount_field = "amount_received" if update_kind is UpdateKind.SUCCEEDED else "amount"
        error = obj.get("last_payment_error") or {}
        return (
            PaymentUpdate(
                kind=update_kind,
                payment_id=_payment_id(obj),
                external_id=str(obj.get("id", "")),
                amount=_money(obj.get(amount_field), obj.get("currency")),
                reason=str(error.get("code") or error.get("decline_code") or ""),
            ),
        )

    @staticmethod
    def _charge(kind: str, obj: Mapping[str, Any]) -> tuple[PaymentUpdate, ...]:
        details = obj.get("payment_method_details") or {}
        method = details.get(details.get("type", ""), {}) if isinstance(details, Mapping) else {}
        fingerprint = str(method.get("fingerprint") or "") if isinstance(method, Mapping) else ""
        common: dict[str, Any] = {
            "payment_id": _payment_id(obj),
            "external_id": _id(obj.get("payment_intent")),
        }
        if kind == "charge.succeeded":
            return (
                PaymentUpdate(
                    kind=UpdateKind.SUCCEEDED,
                    amount=_money(
                        obj.get("amount_captured") or obj.get("amount"), obj.get("currency")
                    ),
                    fingerprint=f"stripe:{fingerprint}" if fingerprint else "",
                    **common,
                ),
            )
        # charge.refunded: amount_refunded is the running total of all refunds.
        return (
            PaymentUpdate(
                kind=UpdateKind.REFUNDED,
                amount=_money(obj.get("amount_refunded"), obj.get("currency")),
                **common,
            ),
        )

    @staticmethod
    def _dispute(kind: str, obj: Mapping[str, Any]) -> tuple[PaymentUpdate, ...]:
        fee = sum(
            int(bt.get("fee", 0))
            for bt in obj.get("balance_transactions") or []
            if isinstance(bt, Mapping)
        )
        currency = str(obj.get("currency", "eur")).upper()
        common: dict[str, Any] = {
            "payment_id": _payment_id(obj),
            "external_id": _id(obj.get("payment_intent")),
            "amount": _money(obj.get("amount"), obj.get("currency")),
            "dispute_id": str(obj.get("id", "")),
            "reason": str(obj.get("reason", "")),
            "fee": Money(fee, currency) if fee else None,
        }
        status = obj.get("status")
        if kind in ("charge.dispute.created", "charge.dispute.funds_withdrawn"):
            return (PaymentUpdate(kind=UpdateKind.DISPUTE_OPENED, **common),)
        if kind == "charge.dispute.funds_reinstated" or (
            kind == "charge.dispute.closed" and status == "won"
        ):
            return (PaymentUpdate(kind=UpdateKind.DISPUTE_WON, **common),)
        if kind == "charge.dispute.closed" and status == "lost":
            return (PaymentUpdate(kind=UpdateKind.DISPUTE_LOST, **common),)
        return ()

    def checkout_return(
        self, *, external_id: str, params: Mapping[str, str]
    ) -> tuple[PaymentUpdate, ...]:
        return ()

    def refund_create(self, call: RefundCall) -> RefundResult:
        try:
            refund = self._client().v1.refunds.create(
                params={
                    "payment_intent": call.payment_external_id,
                    "amount": call.amount.minor,
                    "metadata": {"refund_id": str(call.refund_id)},
                },
                options={"idempotency_key": call.idempotency_key},
            )
        except stripe.StripeError as exc:
            raise ProviderUnavailable(provider="stripe", detail=str(exc)) from exc
        return RefundResult(
            external_id=str(refund.id),
            succeeded=refund.status in ("succeeded", "pending"),
        )
