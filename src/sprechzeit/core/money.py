"""Money in integer minor units, and the one rounding function of the project.

`Money` never holds a float and refuses to be multiplied by one (hordak's
`LossyCalculationError`). Fractions of a cent arise only in rating and VAT; they are
carried as `Decimal` or `Fraction` and brought back to whole cents by `round_half_up`,
the single place in Sprechzeit that rounds.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Final

from babel.numbers import format_currency

from sprechzeit.core.errors import CurrencyMismatch, InvalidAmount, LossyCalculation

EUR: Final = "EUR"
# ISO 4217 minor-unit exponents of the currencies Sprechzeit may book.
MINOR_UNITS: Final[dict[str, int]] = {"EUR": 2, "CHF": 2, "GBP": 2, "USD": 2}

# The largest amount any input may name: 10 billion in major units, far above every
# limit of the domain and well inside a 64-bit column. Parsing refuses anything beyond.
MAX_MINOR: Final = 10**12
MAX_DIGITS: Final = 12  # Decimal.adjusted() of the largest major-unit amount accepted

type Exact = int | Decimal | Fraction


def round_half_up(value: Exact) -> int:
    """Round an exact number of minor units to a whole one, halves away from zero.

    The one rounding rule of the project (German commercial rounding, "kaufmännisch").
    A float is refused: it is not exact.
    """
    if isinstance(value, bool | float) or not isinstance(value, int | Decimal | Fraction):
        raise LossyCalculation()
    if isinstance(value, int):
        return value
    if isinstance(value, Decimal) and not value.is_finite():
        raise LossyCalculation(f"{value} is not a finite amount.")
    exact = Fraction(value)
    quotient, remainder = divmod(abs(exact.numerator), exact.denominator)
    if 2 * remainder >= exact.denominator:
        quotient += 1
    return quotient if exact >= 0 else -quotient


@dataclass(frozen=True, slots=True, order=False)
class Money:
    """An amount in integer minor units (cents) of one currency."""

    minor: int
    currency: str = EUR

    def __post_init__(self) -> None:
        if isinstance(self.minor, bool) or not isinstance(self.minor, int):
            raise LossyCalculation("Money holds an integer number of minor units.")
        if self.currency not in MINOR_UNITS:
            raise CurrencyMismatch(f"Unknown currency {self.currency!r}.", currency=self.currency)

    # --- construction -------------------------------------------------------------
    @classmethod
    def zero(cls, currency: str = EUR) -> Money:
        return cls(0, currency)

    @classmethod
    def from_decimal(cls, amount: Decimal | str, currency: str = EUR) -> Money:
        """Parse a major-unit amount such as Decimal("12.34"); more than the currency's
        minor digits is refused rather than rounded silently, and so is anything that is
        not a finite number within ±MAX_MINOR minor units (NaN, sNaN, Infinity, 1e999999,
        an unknown currency): `InvalidAmount`, `LossyCalculation`, `CurrencyMismatch`."""
        if currency not in MINOR_UNITS:
            raise CurrencyMismatch(f"Unknown currency {currency!r}.", currency=str(currency)[:8])
        try:
            value = Decimal(amount)
        except (InvalidOperation, TypeError, ValueError):
            raise InvalidAmount(amount=str(amount)[:40]) from None
        if not value.is_finite() or (value and value.adjusted() > MAX_DIGITS):
            raise InvalidAmount(amount=str(amount)[:40])
        exponent = MINOR_UNITS[currency]
        value = value.scaleb(exponent)
        if value != value.to_integral_value():
            raise LossyCalculation(
                f"{amount} has more than {exponent} decimal places.", amount=str(amount)[:40]
            )
        minor = int(value)
        if abs(minor) > MAX_MINOR:
            raise InvalidAmount(amount=str(amount)[:40])
        return cls(minor, currency)

    # --- arithmetic ---------------------------------------------------------------
    def _same(self, other: Money) -> None:
        if not isinstance(other, Money):
            raise TypeError(f"cannot combine Money with {type(other).__name__}")
        if other.currency != self.currency:
            raise CurrencyMismatch(left=self.currency, right=other.currency)

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.minor + other.minor, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.minor - other.minor, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.minor, self.currency)

    def __mul__(self, factor: Exact) -> Money:
        """Multiply by an exact factor; the result is rounded half-up once."""
        if isinstance(factor, float | bool) or not isinstance(factor, int | Decimal | Fraction):
            raise LossyCalculation()
        return Money(round_half_up(self.minor * factor), self.currency)

    __rmul__ = __mul__

    def __lt__(self, other: Money) -> bool:
        self._same(other)
        return self.minor < other.minor

    def __le__(self, other: Money) -> bool:
        self._same(other)
        return self.minor <= other.minor

    def __gt__(self, other: Money) -> bool:
        self._same(other)
        return self.minor > other.minor

    def __ge__(self, other: Money) -> bool:
        self._same(other)
        return self.minor >= other.minor

    def __bool__(self) -> bool:
        return self.minor != 0

    # --- presentation -------------------------------------------------------------
    @property
    def amount(self) -> Decimal:
        """The major-unit amount as an exact Decimal (12.34), for display and documents."""
        return Decimal(self.minor).scaleb(-MINOR_UNITS[self.currency])

    def __str__(self) -> str:
        return f"{self.amount:.{MINOR_UNITS[self.currency]}f} {self.currency}"


# Babel's locales for the site's languages (German first).
_LOCALES: Final[dict[str, str]] = {"de": "de_DE", "en": "en_GB"}


def money_text(value: Money, language: str | None = None) -> str:
    """How every page writes an amount: "12,34 €" in German, "€12.34" in English (babel).
    `language`: a language code ("de", "en-gb"); None: German. Documents that need a
    fixed form (XML, CSV) format on their own."""
    locale = _LOCALES.get((language or "de")[:2].lower(), "de_DE")
    return str(format_currency(value.amount, value.currency, locale=locale))
