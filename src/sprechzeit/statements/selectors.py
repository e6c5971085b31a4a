"""Reads for statements: the earnings of a period (the source of a close), missing
partner data, a partner's documents."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count, QuerySet, Sum
from django.utils.translation import gettext as _

from sprechzeit.accounts.models import Partner
from sprechzeit.consultations.models import Consultation
from sprechzeit.core.money import Money
from sprechzeit.statements import errors
from sprechzeit.statements.models import Adjustment, PartnerTaxProfile, Statement
from sprechzeit.statements.vat import VatStatus

PERIOD = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


@dataclass(frozen=True, slots=True)
class Period:
    start: date
    end: date  # inclusive

    @property
    def label(self) -> str:
        return f"{self.start:%Y-%m}"

    def bounds(self) -> tuple[datetime, datetime]:
        """[start, end) as aware datetimes in the operator's time zone."""
        zone = ZoneInfo(settings.TIME_ZONE)
        return (
            datetime.combine(self.start, time.min, zone),
            datetime.combine(self.end + timedelta(days=1), time.min, zone),
        )


def period_parse(value: str) -> Period:
    """'2026-10' → 2026-10-01 … 2026-10-31. Raises `PeriodInvalid`."""
    match = PERIOD.match(value.strip())
    if match is None:
        raise errors.PeriodInvalid(period=value)
    year, month = int(match.group(1)), int(match.group(2))
    start = date(year, month, 1)
    following = date(year + month // 12, month % 12 + 1, 1)
    return Period(start=start, end=following - timedelta(days=1))


@dataclass(frozen=True, slots=True)
class Earnings:
    """What one partner earned on one platform in a period (settled consultations)."""

    partner_id: int
    platform_id: int
    legal_entity_id: int
    consultations: int
    billed_seconds: int
    gross_minor: int
    share_minor: int


def settled_earnings(*, period: Period) -> list[Earnings]:
    """Settled consultations of the period per partner and platform, summed by the
    database. A consultation belongs to the period its settlement was booked in (the
    partner payable is credited then), so a close never misses or repeats one."""
    start, end = period.bounds()
    rows = (
        Consultation.objects.filter(
            status=Consultation.Status.SETTLED, settled_at__gte=start, settled_at__lt=end
        )
        .values("partner_id", "platform_id", "platform__legal_entity_id")
        .annotate(
            count=Count("pk"),
            seconds=Sum("billed_seconds"),
            gross=Sum("amount_minor"),
            share=Sum("partner_share_minor"),
        )
        .order_by("partner_id", "platform_id")
    )
    return [
        Earnings(
            partner_id=row["partner_id"],
            platform_id=row["platform_id"],
            legal_entity_id=row["platform__legal_entity_id"],
            consultations=row["count"],
            billed_seconds=int(row["seconds"] or 0),
            gross_minor=int(row["gross"] or 0),
            share_minor=int(row["share"] or 0),
        )
        for row in rows
    ]


def open_adjustments(*, period: Period) -> QuerySet[Adjustment]:
    """Adjustments entered up to the period's end that no statement lists yet."""
    _start, end = period.bounds()
    return Adjustment.objects.filter(statement__isnull=True, created_at__lt=end).select_related(
        "platform"
    )


def tax_profile_gaps(profile: PartnerTaxProfile | None) -> list[str]:
    """Why a credit note for this partner cannot be issued (empty: it can)."""
    if profile is None:
        return [_("Steuer- und Bankdaten fehlen.")]
    gaps: list[str] = []
    if not (profile.legal_name and profile.street and profile.postal_code and profile.city):
        gaps.append(_("Name oder Anschrift fehlt."))
    if not (profile.tax_number or profile.vat_id):
        gaps.append(_("Steuernummer oder USt-IdNr. fehlt."))
    if profile.vat_status == VatStatus.EU_REVERSE_CHARGE and not profile.vat_id:
        gaps.append(_("Für das Reverse-Charge-Verfahren fehlt die USt-IdNr."))
    if not profile.self_billing_accepted_at:
        gaps.append(_("Die Zustimmung zum Gutschriftsverfahren fehlt."))
    if not profile.iban or not profile.account_holder:
        gaps.append(_("IBAN oder Kontoinhaber fehlt."))
    return gaps


def partner_tax_profile(*, partner: Partner) -> PartnerTaxProfile | None:
    return PartnerTaxProfile.objects.filter(partner=partner).first()


def partner_statements(*, partner: Partner) -> QuerySet[Statement]:
    """The partner's issued and cancelled documents and held ones (with their reason)."""
    return (
        Statement.objects.filter(partner=partner)
        .exclude(status=Statement.Status.DRAFT)
        .order_by("-period_start", "-pk")
    )


def held_statements() -> QuerySet[Statement]:
    return Statement.objects.filter(status=Statement.Status.HELD).select_related("partner__user")


def partner_of_user(user: object) -> Partner | None:
    partner = getattr(user, "partner", None) if user is not None else None
    return partner if isinstance(partner, Partner) else None


@dataclass(frozen=True, slots=True)
class PartnerEarnings:
    consultations: int
    share: Money


def partner_earnings(*, partner: Partner, period: Period) -> PartnerEarnings:
    """What the partner earned so far in `period` (settled consultations, net share)."""
    start, end = period.bounds()
    totals = Consultation.objects.filter(
        partner=partner,
        status=Consultation.Status.SETTLED,
        settled_at__gte=start,
        settled_at__lt=end,
    ).aggregate(count=Count("pk"), share=Sum("partner_share_minor"))
    return PartnerEarnings(
        consultations=int(totals["count"] or 0), share=Money(int(totals["share"] or 0))
    )
