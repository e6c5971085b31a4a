"""The VAT cases with exact totals (issue 6, "Proof": a table of VAT cases)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from sprechzeit.core.money import Money
from sprechzeit.statements.vat import (
    AdjustmentLine,
    PlatformLine,
    VatCategory,
    VatStatus,
    document_totals,
)


def line(name: str, share: int, gross: int = 0) -> PlatformLine:
    return PlatformLine(name, 3, 600, Money(gross), Money(share))


# status, platform shares (cents), adjustments (cents) → category, rate, net, vat, gross
CASES = [
    # regular 19 %: VAT on the document's net total, rounded once (15 008 × 0.19 = 2 851.52)
    (VatStatus.REGULAR, [10_000, 5_008], [], "S", "19.00", 15_008, 2_852, 17_860),
    # halves round up: 50 × 0.19 = 9.5 → 10
    (VatStatus.REGULAR, [50], [], "S", "19.00", 50, 10, 60),
    # summing rounded line VATs would give 2 + 2 = 4; the document rule gives 0.19 × 22 → 4
    (VatStatus.REGULAR, [11, 11], [], "S", "19.00", 22, 4, 26),
    # 0.19 × 7 = 1.33 → 1, while per line 0.19 × 3 = 0.57 → 1 and 0.19 × 4 = 0.76 → 1 (= 2)
    (VatStatus.REGULAR, [3, 4], [], "S", "19.00", 7, 1, 8),
    # an adjustment (goodwill reversal) reduces the net before VAT
    (VatStatus.REGULAR, [10_000], [-1_000], "S", "19.00", 9_000, 1_710, 10_710),
    # § 19 small business: no VAT, net = gross
    (VatStatus.SMALL_BUSINESS, [10_000, 5_008], [250], "E", "0.00", 15_258, 0, 15_258),
    # EU reverse charge: no VAT shown, the operator owes it
    (VatStatus.EU_REVERSE_CHARGE, [12_345], [], "AE", "0.00", 12_345, 0, 12_345),
    # outside the EU: reverse charge as well (§ 13b Abs. 2 Nr. 1 UStG)
    (VatStatus.NON_EU, [999, 1], [], "AE", "0.00", 1_000, 0, 1_000),
]


@pytest.mark.parametrize(
    ("status", "shares", "adjustments", "category", "rate", "net", "vat", "gross"), CASES
)
def test_vat_cases_exact_totals(
    status: VatStatus,
    shares: list[int],
    adjustments: list[int],
    category: str,
    rate: str,
    net: int,
    vat: int,
    gross: int,
) -> None:
    totals = document_totals(
        lines=[line(f"P{i}", share) for i, share in enumerate(shares)],
        adjustments=[AdjustmentLine("Anpassung", Money(amount)) for amount in adjustments],
        status=status,
    )
    assert (totals.net.minor, totals.vat.minor, totals.gross.minor) == (net, vat, gross)
    assert len(totals.breakdown) == 1
    row = totals.breakdown[0]
    assert row.category == VatCategory(category)
    assert row.rate == Decimal(rate)
    assert (row.basis.minor, row.vat.minor) == (net, vat)
    assert bool(row.exemption_reason) == (category != "S")


def test_cancellation_mirrors_every_amount() -> None:
    totals = document_totals(lines=[line("P", 15_008)], status=VatStatus.REGULAR)
    negated = totals.negated()
    assert (negated.net.minor, negated.vat.minor, negated.gross.minor) == (-15_008, -2_852, -17_860)
    assert negated.breakdown[0].basis.minor == -15_008
