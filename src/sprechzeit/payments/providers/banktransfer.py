"""Bank transfer without a provider: money arrives on the operator's account and is
found in uploaded statements (`services.bank`). There is no checkout and no webhook;
refunds become transfer instructions for staff."""

from __future__ import annotations

from collections.abc import Mapping

from sprechzeit.payments.errors import MalformedEvent, PaymentError
from sprechzeit.payments.providers.base import (
    CheckoutRequest,
    CheckoutResult,
    PaymentUpdate,
    ProviderEvent,
    RefundCall,
    RefundResult,
)


class BankTransferProvider:
    def checkout_create(self, request: CheckoutRequest) -> CheckoutResult:
        raise PaymentError("Bank transfers need no checkout; show the transfer details.")

    def event_parse(self, *, body: bytes, headers: Mapping[str, str]) -> ProviderEvent:
        raise MalformedEvent("Bank transfers have no notifications; upload a statement.")

    def event_updates(self, event: ProviderEvent) -> tuple[PaymentUpdate, ...]:
        return ()

    def checkout_return(
        self, *, external_id: str, params: Mapping[str, str]
    ) -> tuple[PaymentUpdate, ...]:
        return ()

    def refund_create(self, call: RefundCall) -> RefundResult:
        # Staff transfer the money back by hand; the refund stays an instruction.
        return RefundResult(external_id="", succeeded=False)
