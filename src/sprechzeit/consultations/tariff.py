"""The tariff of a consultation and the one rating function.

A tariff is frozen when the consultation starts. `tariff_rate` turns a duration into an
amount; `tariff_max_seconds` is its inverse, the longest duration an amount pays for
(A2Billing's `calcultimeout`, done exactly). Both are pure: no database, no clock, no
float. The only rounding is `core.money.round_half_up`, applied once to the time part.

Billing rules (see docs/consultations.md for the worked examples):

- The first `grace_seconds` are free. A consultation that ends within them costs
  nothing, not even the connect fee (no charge when nothing happened).
- After the grace, the billable seconds are rounded up to increments: a first block of
  `increment_first` seconds, then blocks of `increment_next` seconds ("60/10": the first
  minute in full, then every started 10 seconds). Per second is "1/1".
- amount = connect fee + round_half_up(rate per minute × billed seconds / 60).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from sprechzeit.consultations.errors import InvalidTariff
from sprechzeit.core.money import EUR, Money, round_half_up

SECONDS_PER_MINUTE = 60


@dataclass(frozen=True, slots=True, kw_only=True)
class Tariff:
    rate_minor: int  # per minute, gross (VAT included), minor units
    currency: str = EUR
    increment_first: int = 1
    increment_next: int = 1
    grace_seconds: int = 0
    connect_fee_minor: int = 0

    def __post_init__(self) -> None:
        for name in ("rate_minor", "increment_first", "increment_next"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise InvalidTariff(field=name, value=str(value))
        for name in ("grace_seconds", "connect_fee_minor"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise InvalidTariff(field=name, value=str(value))

    @property
    def rate(self) -> Money:
        return Money(self.rate_minor, self.currency)

    @property
    def connect_fee(self) -> Money:
        return Money(self.connect_fee_minor, self.currency)

    @property
    def label(self) -> str:
        """The increment as people write it: "1/1", "60/60", "60/10"."""
        return f"{self.increment_first}/{self.increment_next}"


def tariff_billed_seconds(*, seconds: int, tariff: Tariff) -> int:
    """The seconds that are paid for after grace and rounding up to increments."""
    if isinstance(seconds, bool) or not isinstance(seconds, int) or seconds < 0:
        raise InvalidTariff(field="seconds", value=str(seconds))
    billable = seconds - tariff.grace_seconds
    if billable <= 0:
        return 0
    if billable <= tariff.increment_first:
        return tariff.increment_first
    blocks = -(-(billable - tariff.increment_first) // tariff.increment_next)
    return tariff.increment_first + blocks * tariff.increment_next


def tariff_rate(*, seconds: int, tariff: Tariff) -> Money:
    """What `seconds` of consultation cost under `tariff`: the one rating function."""
    billed = tariff_billed_seconds(seconds=seconds, tariff=tariff)
    if billed == 0:
        return Money.zero(tariff.currency)
    time_part = round_half_up(Fraction(tariff.rate_minor * billed, SECONDS_PER_MINUTE))
    return Money(tariff.connect_fee_minor + time_part, tariff.currency)


def tariff_first_increment_cost(*, tariff: Tariff) -> Money:
    """What a consultation that gets past the grace costs at least (the start gate)."""
    return tariff_rate(seconds=tariff.grace_seconds + 1, tariff=tariff)


def tariff_max_seconds(*, amount: Money, tariff: Tariff) -> int:
    """The longest duration whose rated amount does not exceed `amount`.

    Guarantees `tariff_rate(d) <= amount < tariff_rate(d + 1)` for the result d (a
    property test proves it). The grace is always free, so the result is at least
    `grace_seconds` even for a zero amount.
    """
    if amount.currency != tariff.currency:
        raise InvalidTariff(field="currency", value=amount.currency)
    budget = amount.minor - tariff.connect_fee_minor
    if budget < 0:
        return tariff.grace_seconds
    # round_half_up(rate × billed / 60) <= budget  ⇔  rate × billed < 60 × budget + 30
    # ⇔ rate × billed <= 60 × budget + 29 (both sides are integers).
    limit = SECONDS_PER_MINUTE * budget + SECONDS_PER_MINUTE // 2 - 1
    if tariff.rate_minor * tariff.increment_first > limit:
        return tariff.grace_seconds
    extra_blocks = (limit - tariff.rate_minor * tariff.increment_first) // (
        tariff.rate_minor * tariff.increment_next
    )
    return tariff.grace_seconds + tariff.increment_first + extra_blocks * tariff.increment_next
