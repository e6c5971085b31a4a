"""Earnings figures of the partner portal: sums and a per-day chart, from settled
consultations (the same rows whose postings fill the partner's payable account)."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count, Sum

from sprechzeit.accounts.models import Partner
from sprechzeit.consultations.models import Consultation
from sprechzeit.core.money import Money
from sprechzeit.platforms.models import Platform


@dataclass(frozen=True, slots=True)
class PlatformEarnings:
    platform: Platform
    consultations: int
    billed_seconds: int
    share: Money

    @property
    def minutes(self) -> int:
        return self.billed_seconds // 60


@dataclass(frozen=True, slots=True)
class ChartBar:
    day: int
    share_minor: int
    minutes: int
    x: float
    y: float
    width: float
    height: float
    minutes_x: float
    minutes_y: float


@dataclass(frozen=True, slots=True)
class Chart:
    platform: Platform
    bars: list[ChartBar]
    max_share_minor: int
    max_minutes: int
    width: int
    height: int


def _local_bounds(day_from: date, day_to: date) -> tuple[datetime, datetime]:
    zone = ZoneInfo(settings.TIME_ZONE)
    return (
        datetime.combine(day_from, time.min, tzinfo=zone),
        datetime.combine(day_to + timedelta(days=1), time.min, tzinfo=zone),
    )


def earnings_between(*, partner: Partner, day_from: date, day_to: date) -> list[PlatformEarnings]:
    """Per platform: consultations, billed seconds and the partner's share, by end day."""
    start, end = _local_bounds(day_from, day_to)
    rows = (
        Consultation.objects.filter(
            partner=partner,
            status=Consultation.Status.SETTLED,
            ended_at__gte=start,
            ended_at__lt=end,
        )
        .values("platform", "currency")
        .annotate(n=Count("id"), seconds=Sum("billed_seconds"), share=Sum("partner_share_minor"))
        .order_by("platform")
    )
    platforms = {p.pk: p for p in Platform.objects.filter(pk__in=[r["platform"] for r in rows])}
    return [
        PlatformEarnings(
            platform=platforms[r["platform"]],
            consultations=r["n"],
            billed_seconds=r["seconds"] or 0,
            share=Money(r["share"] or 0, r["currency"]),
        )
        for r in rows
    ]


CHART_WIDTH, CHART_HEIGHT = 620, 160


def earnings_chart(*, partner: Partner, month: date) -> list[Chart]:
    """One chart per platform: the partner's share (bars) and minutes (dots) per day of
    `month`, laid out for an inline SVG (rendered locally, no external service)."""
    days = calendar.monthrange(month.year, month.month)[1]
    first, last = month.replace(day=1), month.replace(day=days)
    start, end = _local_bounds(first, last)
    zone = ZoneInfo(settings.TIME_ZONE)
    per: dict[int, dict[int, list[int]]] = {}
    for platform_id, ended_at, share, seconds in Consultation.objects.filter(
        partner=partner, status=Consultation.Status.SETTLED, ended_at__gte=start, ended_at__lt=end
    ).values_list("platform", "ended_at", "partner_share_minor", "billed_seconds"):
        if ended_at is None:  # settled rows always have an end; the column is nullable
            continue
        day = ended_at.astimezone(zone).day
        slot = per.setdefault(platform_id, {}).setdefault(day, [0, 0])
        slot[0] += share or 0
        slot[1] += seconds or 0
    charts = []
    step = CHART_WIDTH / days
    for platform in Platform.objects.filter(pk__in=per).order_by("name"):
        values = per[platform.pk]
        max_share = max((v[0] for v in values.values()), default=0) or 1
        max_minutes = max((v[1] // 60 for v in values.values()), default=0) or 1
        bars = []
        for day in range(1, days + 1):
            share, seconds = values.get(day, [0, 0])
            minutes = seconds // 60
            # Geometry for the SVG only; the amounts shown as text stay integer cents.
            height = round(share * (CHART_HEIGHT - 20) / max_share, 1)
            x = round((day - 1) * step + 1, 1)
            bars.append(
                ChartBar(
                    day=day,
                    share_minor=share,
                    minutes=minutes,
                    x=x,
                    y=round(CHART_HEIGHT - height, 1),
                    width=round(step - 2, 1),
                    height=height,
                    minutes_x=round(x + (step - 2) / 2, 1),
                    minutes_y=round(CHART_HEIGHT - minutes * (CHART_HEIGHT - 20) / max_minutes, 1),
                )
            )
        charts.append(Chart(platform, bars, max_share, max_minutes, CHART_WIDTH, CHART_HEIGHT))
    return charts
