"""PayPal Orders v2 (filled in below)."""

from __future__ import annotations

from collections.abc import Mapping

from sprechzeit.payments.errors import MalformedEvent, ProviderNotConfigured
from sprechzeit.payments.providers.base import (
    CheckoutRequest,
    CheckoutResult,
    PaymentUpdate,
    ProviderEvent,
    RefundCall,
    RefundResult,
)


class PayPalProvider:
    def __init__(self, *, client_id: str, client_secret: str, webhook_id: str, live: bool) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.webhook_id = webhook_id
        self.live = live

    def checkout_create(self, request: CheckoutRequest) -> CheckoutResult:
        raise ProviderNotConfigured(kind="paypal")

    def event_parse(self, *, body: bytes, headers: Mapping[str, str]) -> ProviderEvent:
        raise MalformedEvent()

    def event_updates(self, event: ProviderEvent) -> tuple[PaymentUpdate, ...]:
        return ()

    def checkout_return(
        self, *, external_id: str, params: Mapping[str, str]
    ) -> tuple[PaymentUpdate, ...]:
        return ()

    def refund_create(self, call: RefundCall) -> RefundResult:
        raise ProviderNotConfigured(kind="paypal")
