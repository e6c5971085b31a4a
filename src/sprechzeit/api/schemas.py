"""What the API reads and writes, declared once: the views are typed by these classes and
the OpenAPI document is generated from them, so the two cannot drift apart.

Requests are strict: a JSON `false` is not the integer 0, `"12"` is not 12, a float is not
an amount. Unknown request fields are ignored (a newer client may send more).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from ninja import Schema
from pydantic import Field, StrictInt, StrictStr

from sprechzeit.payments.models import Channel, PaymentStatus

# Far above any channel's maximum (a policy's own limits refuse sooner, with their message),
# far below what a database integer holds: a huge number is refused before it gets there.
MAX_AMOUNT_MINOR = 100_000_000
MAX_ID = 2**63 - 1  # BigAutoField


class Money(Schema):
    amount_minor: int = Field(description="Integer minor units (cents).")
    currency: str = Field(examples=["EUR"], pattern=r"^[A-Z]{3}$")


class Error(Schema):
    """Every refusal: a stable `code`, a message for people (in the platform's language),
    and the fields it concerns (for invalid input: field path → what is wrong)."""

    code: str
    message: str
    fields: dict[str, Any]


class ChannelOption(Schema):
    id: int
    channel: Channel
    label: str
    min: Money
    max: Money
    presets: list[int]


class Wallet(Schema):
    total: Money
    paid: Money
    bonus: Money
    pending: Money
    available: Money
    receivable: Money
    blocked: bool
    deposit_limit: Money | None
    channels: list[ChannelOption]


class Payment(Schema):
    id: uuid.UUID
    channel: Channel
    amount: Money
    status: PaymentStatus
    credited: bool
    refunded: Money
    charged_back: Money
    created_at: datetime


class PaymentList(Schema):
    payments: list[Payment] = Field(description="Newest first, at most 100.")


class TopupRedirect(Payment):
    """A checkout was opened: send the payer to `redirect_url`."""

    kind: Literal["redirect"]
    redirect_url: str = Field(json_schema_extra={"format": "uri"})


class TopupBankTransfer(Schema):
    """Bank transfer: nothing is created; pay `amount` to this account with `reference`."""

    kind: Literal["bank_transfer"]
    iban: str
    bic: str
    holder: str
    reference: str
    amount: Money


class TopupRequest(Schema):
    """Start a top-up of `amount_minor` through one channel, named by its `channel_id`
    (from the wallet's `channels`; wins when both are given) or by its `channel` kind."""

    amount_minor: StrictInt = Field(ge=1, le=MAX_AMOUNT_MINOR)
    currency: StrictStr | None = Field(
        default=None, pattern=r"^[A-Z]{3}$", description="Defaults to the platform's."
    )
    channel_id: StrictInt | None = Field(default=None, ge=1, le=MAX_ID)
    channel: Channel | None = None
