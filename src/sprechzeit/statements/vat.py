"""The amounts of a credit note: one pure function from its lines and the partner's VAT
case to the document totals.

Every line amount is already whole cents (a consultation's partner share was rounded once
when it was settled; an adjustment is entered in cents). The only rounding here is the
VAT on the document's net total, through `round_half_up`, once per document and category
(EN 16931 BR-CO-17: VAT = basis × rate, rounded; not the sum of rounded line VATs).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Final

from django.db import models
from django.utils.translation import gettext_lazy as _

from sprechzeit.core.money import EUR, Money, round_half_up

# The German standard rate the partner's service to the operator carries (§ 12 Abs. 1 UStG).
STANDARD_RATE: Final = Decimal("19.00")


class VatStatus(models.TextChoices):
    """The partner's VAT status, as declared by them and checked by staff."""

    REGULAR = "regular", _("Regelbesteuerung (19 %)")
    SMALL_BUSINESS = "small_business", _("Kleinunternehmer (§ 19 UStG)")
    EU_REVERSE_CHARGE = "eu_reverse_charge", _("Unternehmer in der EU (Reverse Charge)")
    NON_EU = "non_eu", _("Unternehmer außerhalb der EU (Reverse Charge)")


class VatCategory(models.TextChoices):
    """UNTDID 5305 codes as EN 16931 uses them (BT-118 / BT-151)."""

    STANDARD = "S", _("Regelsteuersatz")
    EXEMPT = "E", _("steuerbefreit")
    REVERSE_CHARGE = "AE", _("Steuerschuldnerschaft des Leistungsempfängers")


@dataclass(frozen=True, slots=True)
class VatCase:
    status: VatStatus
    category: VatCategory
    rate: Decimal
    # CEN VATEX code (BT-121) and the exemption text (BT-120); empty for S.
    exemption_code: str
    # The note printed on the PDF and written to BT-22 and BT-120 (German source).
    note: str


VAT_CASES: Final[dict[VatStatus, VatCase]] = {
    VatStatus.REGULAR: VatCase(VatStatus.REGULAR, VatCategory.STANDARD, STANDARD_RATE, "", ""),
    VatStatus.SMALL_BUSINESS: VatCase(
        VatStatus.SMALL_BUSINESS,
        VatCategory.EXEMPT,
        Decimal("0"),
        "",
        "Steuerbefreiung für Kleinunternehmer (§ 19 UStG)",
    ),
    VatStatus.EU_REVERSE_CHARGE: VatCase(
        VatStatus.EU_REVERSE_CHARGE,
        VatCategory.REVERSE_CHARGE,
        Decimal("0"),
        "VATEX-EU-AE",
        "Steuerschuldnerschaft des Leistungsempfängers (Reverse Charge, § 13b Abs. 1 UStG)",
    ),
    # A business established outside the EU serving the operator in Germany: the place of
    # supply is Germany (§ 3a Abs. 2 UStG) and the operator owes the VAT (§ 13b Abs. 2
    # Nr. 1 UStG), so it is reverse charge (AE) as well; COMPLIANCE.md §1.3.
    VatStatus.NON_EU: VatCase(
        VatStatus.NON_EU,
        VatCategory.REVERSE_CHARGE,
        Decimal("0"),
        "VATEX-EU-AE",
        "Steuerschuldnerschaft des Leistungsempfängers (Reverse Charge, § 13b Abs. 2 Nr. 1 UStG)",
    ),
}

# The cases where the operator owes the partner's VAT itself (§ 13b UStG).
REVERSE_CHARGE_STATUSES: Final = frozenset({VatStatus.EU_REVERSE_CHARGE, VatStatus.NON_EU})

SELF_BILLING_NOTE: Final = "Gutschrift im Gutschriftsverfahren (§ 14 Abs. 2 Satz 5 UStG)"


@dataclass(frozen=True, slots=True)
class PlatformLine:
    """One platform's section of a statement: what the partner earned there."""

    platform_name: str
    consultations: int
    billed_seconds: int
    # What clients paid, VAT included (for information: the partner's share is computed
    # from it at settlement).
    gross_takings: Money
    # The partner's share, net: the consideration for the partner's service.
    share: Money


@dataclass(frozen=True, slots=True)
class AdjustmentLine:
    description: str
    amount: Money


@dataclass(frozen=True, slots=True)
class VatBreakdown:
    category: VatCategory
    rate: Decimal
    basis: Money
    vat: Money
    exemption_code: str
    exemption_reason: str


@dataclass(frozen=True, slots=True)
class DocumentTotals:
    case: VatCase
    net: Money
    vat: Money
    gross: Money
    breakdown: tuple[VatBreakdown, ...]

    def negated(self) -> DocumentTotals:
        """The totals of a cancelling document (every amount mirrored)."""
        return DocumentTotals(
            case=self.case,
            net=-self.net,
            vat=-self.vat,
            gross=-self.gross,
            breakdown=tuple(
                VatBreakdown(
                    item.category,
                    item.rate,
                    -item.basis,
                    -item.vat,
                    item.exemption_code,
                    item.exemption_reason,
                )
                for item in self.breakdown
            ),
        )


def document_totals(
    *,
    lines: Sequence[PlatformLine],
    adjustments: Sequence[AdjustmentLine] = (),
    status: VatStatus,
    currency: str = EUR,
) -> DocumentTotals:
    """Net, VAT per category and gross of a credit note.

    net = Σ line shares + Σ adjustments (exact cents); VAT = round_half_up(net × rate)
    once on the document level; gross = net + VAT. All lines of one document share the
    partner's one VAT case, so there is exactly one breakdown row.
    """
    case = VAT_CASES[VatStatus(status)]
    net = Money.zero(currency)
    for line in lines:
        net = net + line.share
    for adjustment in adjustments:
        net = net + adjustment.amount
    vat = Money(round_half_up(Fraction(net.minor) * Fraction(case.rate) / 100), currency)
    breakdown = VatBreakdown(
        category=case.category,
        rate=case.rate,
        basis=net,
        vat=vat,
        exemption_code=case.exemption_code,
        exemption_reason=case.note,
    )
    return DocumentTotals(case=case, net=net, vat=vat, gross=net + vat, breakdown=(breakdown,))
