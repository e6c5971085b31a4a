"""The one rounding rule, as a table of worked examples, and Money's refusals."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest

from sprechzeit.core.errors import CurrencyMismatch, LossyCalculation
from sprechzeit.core.money import Money, round_half_up

ROUNDING_TABLE: list[tuple[int | Decimal | Fraction, int]] = [
    (0, 0),
    (7, 7),
    (-7, -7),
    (Decimal("0.4"), 0),
    (Decimal("0.5"), 1),  # half rounds up (kaufmännisch), not to even
    (Decimal("1.5"), 2),
    (Decimal("2.5"), 3),  # banker's rounding would give 2
    (Decimal("2.4999"), 2),
    (Decimal("2.5001"), 3),
    (Decimal("-0.5"), -1),  # halves go away from zero
    (Decimal("-2.5"), -3),
    (Decimal("-2.4"), -2),
    (Fraction(1, 3), 0),
    (Fraction(2, 3), 1),
    (Fraction(1, 2), 1),
    (Fraction(-1, 2), -1),
    (Fraction(199, 60), 3),  # 1.99 €/min for 1 s: 3.3166… cents
    (Fraction(299 * 90, 60), 449),  # 2.99 €/min for 90 s: 448.5 cents
    (Decimal("19") * Decimal("0.19"), 4),  # VAT on 19 cents: 3.61
    (Decimal("1234.5") * Decimal("0.19"), 235),  # 234.555
    (Decimal(10**15) + Decimal("0.5"), 10**15 + 1),  # large amounts stay exact
]


@pytest.mark.parametrize(("value", "expected"), ROUNDING_TABLE)
def test_round_half_up_table(value: int | Decimal | Fraction, expected: int) -> None:
    assert round_half_up(value) == expected


@pytest.mark.parametrize("value", [0.5, 1.0, True, "1", None, Decimal("NaN"), Decimal("Infinity")])
def test_round_half_up_refuses_inexact_input(value: object) -> None:
    with pytest.raises(LossyCalculation):
        round_half_up(value)  # type: ignore[arg-type]


def test_money_arithmetic_is_exact_and_rounds_once() -> None:
    price = Money(199)
    assert price + Money(1) == Money(200)
    assert price - Money(200) == Money(-1)
    assert price * Fraction(90, 60) == Money(299)  # 298.5 rounds half up
    assert Decimal("0.19") * Money(1235) == Money(235)
    assert -price == Money(-199)
    assert str(Money(123456)) == "1234.56 EUR"
    assert Money(5).amount == Decimal("0.05")


def test_money_refuses_floats_and_mixed_currencies() -> None:
    with pytest.raises(LossyCalculation):
        Money(100) * 1.5  # type: ignore[operator]
    with pytest.raises(LossyCalculation):
        Money(1.5)  # type: ignore[arg-type]
    with pytest.raises(CurrencyMismatch):
        Money(1, "EUR") + Money(1, "CHF")
    with pytest.raises(CurrencyMismatch):
        _ = Money(1, "EUR") < Money(1, "CHF")
    with pytest.raises(CurrencyMismatch):
        Money(1, "XXX")


@pytest.mark.parametrize(
    ("text", "minor"), [("12.34", 1234), ("0.01", 1), ("-3", -300), ("1e2", 10000)]
)
def test_from_decimal(text: str, minor: int) -> None:
    assert Money.from_decimal(text) == Money(minor)


def test_from_decimal_refuses_sub_cent_amounts() -> None:
    with pytest.raises(LossyCalculation):
        Money.from_decimal("0.001")
