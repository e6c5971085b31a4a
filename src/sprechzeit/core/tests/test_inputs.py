"""core.inputs and Money.from_decimal: bounded ids, finite amounts, strict minor units."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest
from django.utils import translation

from sprechzeit.core.errors import CurrencyMismatch, InvalidAmount, LossyCalculation
from sprechzeit.core.inputs import (
    MAX_ID,
    InvalidInput,
    amount_parse,
    id_parse,
    ids_parse,
    minor_parse,
)
from sprechzeit.core.money import MAX_MINOR, Money


@pytest.fixture(autouse=True)
def _german() -> Iterator[None]:
    with translation.override("de"):
        yield


@pytest.mark.parametrize(("raw", "expected"), [("1", 1), (" 42 ", 42), (str(MAX_ID), MAX_ID)])
def test_ids_are_ascii_digits_within_the_column(raw: str, expected: int) -> None:
    assert id_parse(raw, field="id") == expected


@pytest.mark.parametrize(
    "raw", ["", "0", "-1", "²", "١٢", "1e3", "0x1f", "1.0", str(MAX_ID + 1), "9" * 5000, None, 7]
)
def test_anything_else_is_not_an_id(raw: object) -> None:
    with pytest.raises(InvalidInput) as refused:
        id_parse(raw, field="listing")
    assert refused.value.http_status == 400
    assert refused.value.fields == {"field": "listing"}


def test_a_list_of_ids_is_cut_at_its_limit_and_each_one_checked() -> None:
    assert ids_parse([str(n) for n in range(1, 300)], field="listing", limit=200) == list(
        range(1, 201)
    )
    with pytest.raises(InvalidInput):
        ids_parse(["1", "²"], field="listing", limit=200)


@pytest.mark.parametrize(
    ("raw", "minor"),
    [("12", 1200), ("12,5", 1250), ("12.50", 1250), ("1.234,50", 123450), ("€ 2,99", 299)],
)
def test_amounts_as_people_type_them(raw: str, minor: int) -> None:
    assert amount_parse(raw, currency="EUR", field="amount") == Money(minor)


@pytest.mark.parametrize(
    "raw",
    ["NaN", "sNaN", "Infinity", "-Infinity", "1e999999", "1e3", "-5", "abc", "", "1,2,3", "9" * 14],
)
def test_non_finite_or_malformed_amounts_are_refused(raw: str) -> None:
    with pytest.raises(InvalidInput, match="Betrag"):
        amount_parse(raw, currency="EUR", field="amount")


def test_more_decimals_than_the_currency_has_are_refused_not_rounded() -> None:
    with pytest.raises(InvalidInput, match="Nachkommastellen"):
        amount_parse("2,499", currency="EUR", field="rate")


@pytest.mark.parametrize("value", ["NaN", "sNaN", "Infinity", "1e999999", "junk", Decimal("-Inf")])
def test_from_decimal_refuses_what_is_not_a_finite_bounded_amount(value: str | Decimal) -> None:
    with pytest.raises(InvalidAmount):
        Money.from_decimal(value)


def test_from_decimal_bounds_and_currencies() -> None:
    assert Money.from_decimal("10000000000.00").minor == MAX_MINOR
    with pytest.raises(InvalidAmount):
        Money.from_decimal("10000000000.01")
    with pytest.raises(LossyCalculation):
        Money.from_decimal("1.001")
    with pytest.raises(CurrencyMismatch):
        Money.from_decimal("1.00", "XXX")


@pytest.mark.parametrize("raw", [True, False, "100", 10.0, None, MAX_MINOR + 1, [1], {}])
def test_minor_units_from_a_payload_must_be_a_bounded_int(raw: object) -> None:
    with pytest.raises(InvalidInput):
        minor_parse(raw, field="amount")
    assert minor_parse(1000, field="amount") == 1000
