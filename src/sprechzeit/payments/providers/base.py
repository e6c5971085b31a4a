"""The provider interface: every adapter (sandbox, Stripe, Mollie, PayPal, bank
transfer) implements `Provider` and speaks only in these frozen types.

Adapters never touch the database or the ledger: they turn our requests into the
provider's calls and the provider's notifications into `PaymentUpdate`s, which
`services.events` applies idempotently and in any order.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

from sprechzeit.core.money import Money


@dataclass(frozen=True, slots=True, kw_only=True)
class CheckoutRequest:
    payment_id: uuid.UUID
    amount: Money
    channel: str
    description: str
    return_url: str
    cancel_url: str
    webhook_url: str
    customer_email: str
    # Deterministic per payment: a retried call never creates a second checkout.
    idempotency_key: str


@dataclass(frozen=True, slots=True, kw_only=True)
class CheckoutResult:
    external_id: str
    redirect_url: str
    external_ref: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class ProviderEvent:
    """A verified notification. `external_id` is unique per provider configuration and
    is the inbox key."""

    external_id: str
    type: str
    payload: Mapping[str, Any] = field(default_factory=dict)


class UpdateKind(StrEnum):
    PROCESSING = "processing"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELED = "canceled"
    REFUNDED = "refunded"
    DISPUTE_OPENED = "dispute_opened"
    DISPUTE_WON = "dispute_won"
    DISPUTE_LOST = "dispute_lost"


@dataclass(frozen=True, slots=True, kw_only=True)
class PaymentUpdate:
    """What a notification says about one payment. The payment is found by our id
    (`payment_id`, from metadata) or else by the provider's id (`external_id`)."""

    kind: UpdateKind
    payment_id: uuid.UUID | None = None
    external_id: str = ""
    external_ref: str = ""
    amount: Money | None = None
    fee: Money | None = None
    fingerprint: str = ""
    # Disputes: the provider's dispute id; refunds: the provider's refund id.
    dispute_id: str = ""
    refund_id: str = ""
    reason: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class RefundCall:
    refund_id: uuid.UUID
    payment_external_id: str
    payment_external_ref: str
    amount: Money
    idempotency_key: str


@dataclass(frozen=True, slots=True, kw_only=True)
class RefundResult:
    external_id: str
    succeeded: bool


class Provider(Protocol):
    """One provider account (a `ProviderConfig` row with its secrets resolved)."""

    def checkout_create(self, request: CheckoutRequest) -> CheckoutResult:
        """Start paying; the client is sent to `redirect_url`."""
        ...

    def event_parse(self, *, body: bytes, headers: Mapping[str, str]) -> ProviderEvent:
        """Verify a notification on its raw body. Raises `InvalidSignature` (answered
        with 400) or `MalformedEvent`."""
        ...

    def event_updates(self, event: ProviderEvent) -> tuple[PaymentUpdate, ...]:
        """What the event means for our payments (may fetch the provider's state)."""
        ...

    def checkout_return(
        self, *, external_id: str, params: Mapping[str, str]
    ) -> tuple[PaymentUpdate, ...]:
        """Called when the payer comes back (PayPal captures here); most do nothing."""
        ...

    def refund_create(self, call: RefundCall) -> RefundResult:
        """Refund through the provider; idempotent by `call.idempotency_key`."""
        ...
