"""The client's monthly consumption statement (Verbrauchsübersicht): each settled
consultation of the month with the partner's pseudonym, the billed duration, the price
and the VAT booked for it (its VAT case, accounts/vat_place.py), and the month's sums
per VAT rate. A read, no writes."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from sprechzeit.accounts.models import ClientAccount
from sprechzeit.accounts.vat_place import vat_case_text
from sprechzeit.consultations.models import Consultation
from sprechzeit.consultations.records import month_bounds


@dataclass(frozen=True, slots=True)
class ConsumptionRow:
    started_at: datetime
    partner: str  # the listing's display name: the partner's pseudonym
    billed_seconds: int
    gross_minor: int
    vat_rate: Decimal
    vat_minor: int
    vat_case: str

    @property
    def net_minor(self) -> int:
        return self.gross_minor - self.vat_minor


@dataclass(frozen=True, slots=True)
class RateSum:
    rate: Decimal
    consultations: int
    net_minor: int
    vat_minor: int
    gross_minor: int


@dataclass(slots=True)
class Consumption:
    month: str
    rows: list[ConsumptionRow] = field(default_factory=list)
    sums: list[RateSum] = field(default_factory=list)
    vat_texts: list[str] = field(default_factory=list)

    @property
    def gross_minor(self) -> int:
        return sum(row.gross_minor for row in self.rows)

    @property
    def vat_minor(self) -> int:
        return sum(row.vat_minor for row in self.rows)


def consumption_for_client(*, client: ClientAccount, month: str) -> Consumption:
    """The client's consumption statement of `month` ("2026-10")."""
    start, end = month_bounds(month)
    consultations = (
        Consultation.objects.filter(
            client=client,
            status=Consultation.Status.SETTLED,
            started_at__gte=start,
            started_at__lt=end,
        )
        .select_related("listing", "platform")
        .order_by("started_at", "pk")
    )
    result = Consumption(month=month)
    per_rate: dict[Decimal, list[int]] = defaultdict(lambda: [0, 0, 0])
    cases: dict[str, Decimal] = {}
    for consultation in consultations:
        assert consultation.started_at is not None
        row = ConsumptionRow(
            started_at=consultation.started_at,
            partner=consultation.listing.display_name,
            billed_seconds=consultation.billed_seconds or 0,
            gross_minor=consultation.amount_minor or 0,
            vat_rate=consultation.vat_rate,
            vat_minor=consultation.vat_minor or 0,
            vat_case=consultation.vat_case,
        )
        result.rows.append(row)
        sums = per_rate[row.vat_rate]
        sums[0] += 1
        sums[1] += row.net_minor
        sums[2] += row.vat_minor
        cases.setdefault(row.vat_case, consultation.platform.vat_rate)
    result.sums = [
        RateSum(rate, count, net, vat, net + vat)
        for rate, (count, net, vat) in sorted(per_rate.items())
    ]
    result.vat_texts = [
        vat_case_text(case=case, rate=rate, vat_id=client.vat_id) for case, rate in cases.items()
    ]
    return result
