"""PayPal Orders v2 with `paypal-server-sdk`: create an order, capture it when the payer
returns, and take refunds and reversals from webhooks.

Webhooks are verified by PayPal itself (`POST /v1/notifications/verify-webhook-signature`
with the transmission headers and our webhook id); anything but SUCCESS is a bad
signature (400). Outbound calls carry `PayPal-Request-Id` derived from our ids.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from typing import Any, Final

import requests
from paypalserversdk.configuration import Environment
from paypalserversdk.exceptions.api_exception import ApiException
from paypalserversdk.http.auth.o_auth_2 import ClientCredentialsAuthCredentials
from paypalserversdk.models.amount_with_breakdown import AmountWithBreakdown
from paypalserversdk.models.checkout_payment_intent import CheckoutPaymentIntent
from paypalserversdk.models.money import Money as PayPalMoney
from paypalserversdk.models.order_request import OrderRequest
from paypalserversdk.models.payment_source import PaymentSource
from paypalserversdk.models.paypal_wallet import PaypalWallet
from paypalserversdk.models.paypal_wallet_experience_context import (
    PaypalWalletExperienceContext,
)
from paypalserversdk.models.purchase_unit_request import PurchaseUnitRequest
from paypalserversdk.models.refund_request import RefundRequest
from paypalserversdk.paypal_serversdk_client import PaypalServersdkClient

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

SANDBOX_BASE: Final = "https://api-m.sandbox.paypal.com"
LIVE_BASE: Final = "https://api-m.paypal.com"
_HEADERS: Final = (
    "Paypal-Auth-Algo",
    "Paypal-Cert-Url",
    "Paypal-Transmission-Id",
    "Paypal-Transmission-Sig",
    "Paypal-Transmission-Time",
)


def _money(raw: Any) -> Money | None:
    if not isinstance(raw, Mapping) or "value" not in raw:
        return None
    # A string such as "10.00"; NaN, Infinity, 1e999999 or junk: InvalidAmount (core.money).
    return Money.from_decimal(str(raw["value"]), str(raw.get("currency_code", "EUR")))


def _payment_id(raw: Any) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(raw)) if raw else None
    except ValueError:
        return None


def _body(response: Any) -> dict[str, Any]:
    """The SDK's response as plain JSON (its text), whatever model it parsed into."""
    text = getattr(response, "text", "") or "{}"
    data: dict[str, Any] = json.loads(text)
    return data


class PayPalProvider:
    def __init__(self, *, client_id: str, client_secret: str, webhook_id: str, live: bool) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.webhook_id = webhook_id
        self.live = live
        self.base = LIVE_BASE if live else SANDBOX_BASE

    def _sdk(self) -> PaypalServersdkClient:
        return PaypalServersdkClient(
            client_credentials_auth_credentials=ClientCredentialsAuthCredentials(
                o_auth_client_id=self.client_id, o_auth_client_secret=self.client_secret
            ),
            environment=Environment.PRODUCTION if self.live else Environment.SANDBOX,
            timeout=20,
        )

    def checkout_create(self, request: CheckoutRequest) -> CheckoutResult:
        order = OrderRequest(
            intent=CheckoutPaymentIntent.CAPTURE,
            purchase_units=[
                PurchaseUnitRequest(
                    amount=AmountWithBreakdown(
                        currency_code=request.amount.currency, value=f"{request.amount.amount:.2f}"
                    ),
                    custom_id=str(request.payment_id),
                    description=request.description[:127],
                )
            ],
            payment_source=PaymentSource(
                paypal=PaypalWallet(
                    experience_context=PaypalWalletExperienceContext(
                        return_url=request.return_url,
                        cancel_url=request.cancel_url,
                        user_action="PAY_NOW",
                        shipping_preference="NO_SHIPPING",
                    )
                )
            ),
        )
        try:
            response = self._sdk().orders.create_order(
                {
                    "body": order,
                    "paypal_request_id": request.idempotency_key,
                    "prefer": "return=minimal",
                }
            )
        except ApiException as exc:
            raise ProviderUnavailable(provider="paypal", detail=str(exc)) from exc
        data = _body(response)
        approve = next(
            (
                link["href"]
                for link in data.get("links", [])
                if link.get("rel") in ("payer-action", "approve")
            ),
            "",
        )
        if not data.get("id") or not approve:
            raise ProviderUnavailable(provider="paypal", detail="order without id or approval link")
        return CheckoutResult(external_id=str(data["id"]), redirect_url=str(approve))

    def checkout_return(
        self, *, external_id: str, params: Mapping[str, str]
    ) -> tuple[PaymentUpdate, ...]:
        """The payer approved: capture the order (idempotent by its PayPal-Request-Id)."""
        if not external_id or params.get("token", external_id) != external_id:
            return ()
        try:
            response = self._sdk().orders.capture_order(
                {
                    "id": external_id,
                    "paypal_request_id": f"capture-{external_id}",
                    "prefer": "return=representation",
                }
            )
        except ApiException as exc:
            raise ProviderUnavailable(provider="paypal", detail=str(exc)) from exc
        data = _body(response)
        updates = []
        for unit in data.get("purchase_units", []):
            for capture in (unit.get("payments") or {}).get("captures", []):
                updates.append(
                    self._capture_update(
                        capture, order_id=external_id, custom_id=unit.get("custom_id")
                    )
                )
        return tuple(updates)

    @staticmethod
    def _capture_update(
        capture: Mapping[str, Any], *, order_id: str, custom_id: Any = None
    ) -> PaymentUpdate:
        status = capture.get("status")
        kind = {
            "COMPLETED": UpdateKind.SUCCEEDED,
            "PENDING": UpdateKind.PROCESSING,
            "DECLINED": UpdateKind.FAILED,
            "FAILED": UpdateKind.FAILED,
        }.get(str(status), UpdateKind.PROCESSING)
        return PaymentUpdate(
            kind=kind,
            payment_id=_payment_id(custom_id or capture.get("custom_id")),
            external_id=order_id,
            external_ref=str(capture.get("id", "")),
            amount=_money(capture.get("amount")),
            reason=str((capture.get("status_details") or {}).get("reason", "")),
        )

    def _token(self) -> str:
        response = requests.post(
            f"{self.base}/v1/oauth2/token",
            auth=(self.client_id, self.client_secret),
            data={"grant_type": "client_credentials"},
            timeout=20,
        )
        if response.status_code != 200:
            raise ProviderUnavailable(provider="paypal", detail=f"token {response.status_code}")
        return str(response.json()["access_token"])

    def event_parse(self, *, body: bytes, headers: Mapping[str, str]) -> ProviderEvent:
        if any(not headers.get(name) for name in _HEADERS) or not self.webhook_id:
            raise InvalidSignature(detail="PayPal transmission headers missing.")
        try:
            event = json.loads(body)
            event_id, event_type = str(event["id"]), str(event["event_type"])
        except (ValueError, KeyError, TypeError) as exc:
            raise MalformedEvent() from exc
        try:
            verification = requests.post(
                f"{self.base}/v1/notifications/verify-webhook-signature",
                headers={"Authorization": f"Bearer {self._token()}"},
                json={
                    "auth_algo": headers["Paypal-Auth-Algo"],
                    "cert_url": headers["Paypal-Cert-Url"],
                    "transmission_id": headers["Paypal-Transmission-Id"],
                    "transmission_sig": headers["Paypal-Transmission-Sig"],
                    "transmission_time": headers["Paypal-Transmission-Time"],
                    "webhook_id": self.webhook_id,
                    "webhook_event": event,
                },
                timeout=20,
            )
        except requests.RequestException as exc:
            raise ProviderUnavailable(provider="paypal", detail=str(exc)) from exc
        if (
            verification.status_code != 200
            or verification.json().get("verification_status") != "SUCCESS"
        ):
            raise InvalidSignature(detail="PayPal did not verify this notification.")
        return ProviderEvent(external_id=event_id, type=event_type, payload=event)

    def event_updates(self, event: ProviderEvent) -> tuple[PaymentUpdate, ...]:
        resource: Mapping[str, Any] = event.payload.get("resource") or {}
        related = (resource.get("supplementary_data") or {}).get("related_ids") or {}
        order_id = str(related.get("order_id", ""))
        kind = event.type
        if kind in (
            "PAYMENT.CAPTURE.COMPLETED",
            "PAYMENT.CAPTURE.PENDING",
            "PAYMENT.CAPTURE.DENIED",
            "PAYMENT.CAPTURE.DECLINED",
        ):
            return (self._capture_update(resource, order_id=order_id),)
        if kind == "PAYMENT.CAPTURE.REFUNDED":
            # The resource is the refund; its capture is in the "up" link.
            capture_id = next(
                (
                    link["href"].rstrip("/").rsplit("/", 1)[-1]
                    for link in resource.get("links", [])
                    if link.get("rel") == "up"
                ),
                "",
            )
            return (
                PaymentUpdate(
                    kind=UpdateKind.REFUNDED,
                    payment_id=_payment_id(resource.get("custom_id")),
                    external_id=order_id,
                    external_ref=capture_id,
                    amount=_money(resource.get("amount")),
                    refund_id=str(resource.get("id", "")),
                ),
            )
        if kind == "PAYMENT.CAPTURE.REVERSED":
            # A reversal (chargeback the buyer won at their bank): the chargeback path.
            return (
                PaymentUpdate(
                    kind=UpdateKind.DISPUTE_LOST,
                    payment_id=_payment_id(resource.get("custom_id")),
                    external_id=order_id,
                    external_ref=str(resource.get("id", "")),
                    amount=_money(resource.get("amount")),
                    dispute_id=f"reversal:{resource.get('id', '')}",
                    reason="reversed",
                ),
            )
        return ()

    def refund_create(self, call: RefundCall) -> RefundResult:
        try:
            response = self._sdk().payments.refund_captured_payment(
                {
                    "capture_id": call.payment_external_ref,
                    "paypal_request_id": call.idempotency_key,
                    "prefer": "return=representation",
                    "body": RefundRequest(
                        amount=PayPalMoney(
                            currency_code=call.amount.currency, value=f"{call.amount.amount:.2f}"
                        ),
                        custom_id=str(call.refund_id),
                    ),
                }
            )
        except ApiException as exc:
            raise ProviderUnavailable(provider="paypal", detail=str(exc)) from exc
        data = _body(response)
        return RefundResult(
            external_id=str(data.get("id", "")),
            succeeded=data.get("status") in ("COMPLETED", "PENDING"),
        )
