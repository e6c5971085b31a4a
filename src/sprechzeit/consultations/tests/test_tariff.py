"""The one rating function: worked examples, and the inverse used for the cut-off."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sprechzeit.consultations.errors import InvalidTariff
from sprechzeit.consultations.tariff import (
    Tariff,
    tariff_billed_seconds,
    tariff_first_increment_cost,
    tariff_max_seconds,
    tariff_rate,
)
from sprechzeit.core.errors import LossyCalculation
from sprechzeit.core.money import Money

PER_SECOND = {"increment_first": 1, "increment_next": 1}
SIXTY_SIXTY = {"increment_first": 60, "increment_next": 60}
SIXTY_TEN = {"increment_first": 60, "increment_next": 10}

# (rate per minute in cents, increments, grace s, connect fee cents, duration s) → cents.
WORKED_EXAMPLES = [
    # 2.00 €/min per second: 150 s is exactly 5.00 €.
    (200, PER_SECOND, 0, 0, 150, 500),
    (200, PER_SECOND, 0, 0, 0, 0),
    (200, PER_SECOND, 0, 0, 1, 3),  # 3.33… ct → 3 ct
    (200, PER_SECOND, 0, 0, 2, 7),  # 6.66… ct → 7 ct
    (199, PER_SECOND, 0, 0, 1, 3),  # 3.316… → 3
    (199, PER_SECOND, 0, 0, 61, 202),  # 202.31… → 202
    (190, PER_SECOND, 0, 0, 9, 29),  # 28.5 exactly → half up → 29
    (190, PER_SECOND, 0, 0, 3, 10),  # 9.5 → 10
    (99, PER_SECOND, 0, 0, 10, 17),  # 16.5 → 17
    (499, PER_SECOND, 0, 0, 3600, 29940),
    # 60/60: every started minute in full.
    (200, SIXTY_SIXTY, 0, 0, 1, 200),
    (200, SIXTY_SIXTY, 0, 0, 60, 200),
    (200, SIXTY_SIXTY, 0, 0, 61, 400),
    (200, SIXTY_SIXTY, 0, 0, 150, 600),
    (199, SIXTY_SIXTY, 0, 0, 121, 597),
    # 60/10: the first minute in full, then every started 10 s.
    (200, SIXTY_TEN, 0, 0, 5, 200),
    (200, SIXTY_TEN, 0, 0, 61, 233),  # 70 s billed: 233.33… → 233
    (200, SIXTY_TEN, 0, 0, 70, 233),
    (200, SIXTY_TEN, 0, 0, 71, 267),  # 80 s: 266.66… → 267
    (99, SIXTY_TEN, 0, 0, 75, 132),  # 80 s: 132 exactly
    # Grace: the first seconds are free, and within them even the connect fee is.
    (200, PER_SECOND, 10, 0, 10, 0),
    (200, PER_SECOND, 10, 0, 11, 3),
    (200, PER_SECOND, 10, 0, 160, 500),
    (200, SIXTY_SIXTY, 10, 0, 70, 200),
    (200, SIXTY_SIXTY, 10, 0, 71, 400),
    # Connect fee: once, as soon as anything is billed.
    (200, PER_SECOND, 0, 50, 1, 53),
    (200, PER_SECOND, 0, 50, 0, 0),
    (200, PER_SECOND, 5, 50, 5, 0),
    (200, PER_SECOND, 5, 50, 6, 53),
    (200, SIXTY_TEN, 0, 25, 61, 258),
]


def _tariff(rate: int, increments: dict[str, int], grace: int, fee: int) -> Tariff:
    return Tariff(
        rate_minor=rate,
        grace_seconds=grace,
        connect_fee_minor=fee,
        increment_first=increments["increment_first"],
        increment_next=increments["increment_next"],
    )


@pytest.mark.parametrize(
    ("rate", "increments", "grace", "fee", "seconds", "cents"), WORKED_EXAMPLES
)
def test_worked_examples(
    rate: int, increments: dict[str, int], grace: int, fee: int, seconds: int, cents: int
) -> None:
    assert tariff_rate(seconds=seconds, tariff=_tariff(rate, increments, grace, fee)) == Money(
        cents
    )


@pytest.mark.parametrize(
    ("rate", "increments", "grace", "fee", "cents", "seconds"),
    [
        (200, PER_SECOND, 0, 0, 500, 150),  # the proof: 5.00 € at 2.00 €/min
        (200, SIXTY_SIXTY, 0, 0, 500, 120),  # a third minute would cost 6.00 €
        (200, SIXTY_TEN, 0, 0, 500, 150),
        (200, PER_SECOND, 0, 0, 2, 0),  # not even the first second (3 ct)
        (200, PER_SECOND, 0, 0, 3, 1),
        (200, PER_SECOND, 30, 0, 0, 30),  # grace is free
        (200, PER_SECOND, 0, 50, 49, 0),  # the connect fee is not covered
        (200, PER_SECOND, 0, 50, 550, 150),
        (199, SIXTY_SIXTY, 0, 0, 1000, 300),
    ],
)
def test_max_seconds_examples(
    rate: int, increments: dict[str, int], grace: int, fee: int, cents: int, seconds: int
) -> None:
    tariff = _tariff(rate, increments, grace, fee)
    assert tariff_max_seconds(amount=Money(cents), tariff=tariff) == seconds


def test_first_increment_cost_is_the_start_gate() -> None:
    assert tariff_first_increment_cost(tariff=_tariff(200, SIXTY_SIXTY, 0, 50)) == Money(250)
    assert tariff_first_increment_cost(tariff=_tariff(200, PER_SECOND, 10, 0)) == Money(3)


def test_billed_seconds() -> None:
    tariff = _tariff(200, SIXTY_TEN, 5, 0)
    assert [tariff_billed_seconds(seconds=s, tariff=tariff) for s in (0, 5, 6, 65, 66, 76)] == [
        0,
        0,
        60,
        60,
        70,
        80,
    ]


@pytest.mark.parametrize(
    "fields",
    [
        {"rate_minor": 0},
        {"rate_minor": -1},
        {"rate_minor": 200, "increment_first": 0},
        {"rate_minor": 200, "increment_next": 0},
        {"rate_minor": 200, "grace_seconds": -1},
        {"rate_minor": 200, "connect_fee_minor": -5},
        {"rate_minor": 2.0},
        {"rate_minor": True},
    ],
)
def test_invalid_tariffs_are_refused(fields: dict[str, object]) -> None:
    with pytest.raises(InvalidTariff):
        Tariff(**fields)  # type: ignore[arg-type]


def test_negative_or_float_durations_are_refused() -> None:
    tariff = _tariff(200, PER_SECOND, 0, 0)
    with pytest.raises(InvalidTariff):
        tariff_rate(seconds=-1, tariff=tariff)
    with pytest.raises(InvalidTariff):
        tariff_rate(seconds=1.5, tariff=tariff)  # type: ignore[arg-type]
    with pytest.raises(LossyCalculation):
        Money(1.5)  # type: ignore[arg-type]


def test_currency_of_amount_must_match() -> None:
    with pytest.raises(InvalidTariff):
        tariff_max_seconds(amount=Money(100, "CHF"), tariff=_tariff(200, PER_SECOND, 0, 0))


tariffs = st.builds(
    Tariff,
    rate_minor=st.integers(min_value=1, max_value=2000),
    increment_first=st.sampled_from([1, 6, 10, 30, 60]),
    increment_next=st.sampled_from([1, 6, 10, 30, 60]),
    grace_seconds=st.integers(min_value=0, max_value=120),
    connect_fee_minor=st.integers(min_value=0, max_value=300),
)


@settings(max_examples=400, derandomize=True, deadline=None)
@given(tariff=tariffs, cents=st.integers(min_value=0, max_value=1_000_000))
def test_max_seconds_is_the_exact_inverse(tariff: Tariff, cents: int) -> None:
    amount = Money(cents)
    seconds = tariff_max_seconds(amount=amount, tariff=tariff)
    assert tariff_rate(seconds=seconds, tariff=tariff) <= amount
    # One more second starts the next increment, which the amount no longer pays.
    assert amount < tariff_rate(seconds=seconds + 1, tariff=tariff)
    assert amount < tariff_rate(seconds=seconds + tariff.increment_next, tariff=tariff)


@settings(max_examples=200, derandomize=True, deadline=None)
@given(tariff=tariffs, a=st.integers(0, 20_000), b=st.integers(0, 20_000))
def test_rating_is_monotone(tariff: Tariff, a: int, b: int) -> None:
    low, high = sorted((a, b))
    assert tariff_rate(seconds=low, tariff=tariff) <= tariff_rate(seconds=high, tariff=tariff)
