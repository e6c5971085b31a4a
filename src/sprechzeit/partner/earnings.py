"""Earnings figures of the partner portal: sums and a per-day chart, from settled
consultations (the same rows whose postings fill the partner's payable account)."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count, QuerySet, Sum
from django.db.models.functions import TruncDay

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
class Tick:
    """A labelled mark of an axis: `pos` is x (days) or y (amounts, minutes) in the SVG."""

    pos: float
    value: int  # the day, the amount in minor units, or minutes


@dataclass(frozen=True, slots=True)
class Chart:
    platform: Platform
    bars: list[ChartBar]
    max_share_minor: int
    max_minutes: int
    width: int
    height: int
    currency: str = "EUR"
    # The plot area inside the margins that hold the axes' labels.
    left: int = 0
    right: int = 0
    top: int = 0
    bottom: int = 0
    share_ticks: tuple[Tick, ...] = ()  # left axis: the partner's share
    minute_ticks: tuple[Tick, ...] = ()  # right axis: minutes
    day_ticks: tuple[Tick, ...] = ()  # bottom axis: days of the month
    total_share_minor: int = 0
    total_minutes: int = 0


def _local_bounds(day_from: date, day_to: date) -> tuple[datetime, datetime]:
    zone = ZoneInfo(settings.TIME_ZONE)
    return (
        datetime.combine(day_from, time.min, tzinfo=zone),
        datetime.combine(day_to + timedelta(days=1), time.min, tzinfo=zone),
    )


def _settled_ended(partner: Partner, start: datetime, end: datetime) -> QuerySet[Consultation]:
    """The partner's settled consultations that ended in [start, end)."""
    return Consultation.objects.filter(
        partner=partner,
        status=Consultation.Status.SETTLED,
        ended_at__gte=start,
        ended_at__lt=end,
    )


def earnings_between(*, partner: Partner, day_from: date, day_to: date) -> list[PlatformEarnings]:
    """Per platform: consultations, billed seconds and the partner's share, by end day."""
    start, end = _local_bounds(day_from, day_to)
    rows = (
        _settled_ended(partner, start, end)
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


CHART_WIDTH, CHART_HEIGHT = 640, 220
# Margins of the plot area: amounts on the left, minutes on the right, days below.
LEFT, RIGHT, TOP, BOTTOM = 64, 40, 12, 26


def nice_ceiling(value: int) -> int:
    """The smallest 1, 2 or 5 × 10^k at or above `value` (at least 1): the top of an
    axis with round labels."""
    magnitude = 1
    while True:
        for factor in (1, 2, 5):
            if factor * magnitude >= value:
                return factor * magnitude
        magnitude *= 10


@dataclass(frozen=True, slots=True)
class _Days:
    """A month of one partner's settled consultations, summed per platform and day."""

    days: int  # in the month
    # platform id → day → [share in minor units, billed seconds, consultations]
    per: dict[int, dict[int, list[int]]]
    platforms: list[Platform]  # those with consultations, by name


def _per_day(partner: Partner, month: date) -> _Days:
    """Two queries whatever the number of consultations: the database sums per platform
    and day (in the operator's zone), then the platforms that had any."""
    days = calendar.monthrange(month.year, month.month)[1]
    start, end = _local_bounds(month.replace(day=1), month.replace(day=days))
    zone = ZoneInfo(settings.TIME_ZONE)
    per: dict[int, dict[int, list[int]]] = {}
    rows = (
        _settled_ended(partner, start, end)
        .annotate(day=TruncDay("ended_at", tzinfo=zone))
        .values_list("platform", "day")
        .annotate(share=Sum("partner_share_minor"), seconds=Sum("billed_seconds"), n=Count("pk"))
        .order_by()
    )
    for platform_id, day, share, seconds, n in rows:
        per.setdefault(platform_id, {})[day.day] = [share or 0, seconds or 0, n]
    platforms = list(Platform.objects.filter(pk__in=per).order_by("name")) if per else []
    return _Days(days=days, per=per, platforms=platforms)


@dataclass(frozen=True, slots=True)
class MonthEarnings:
    """The dashboard's figures: today's and this month's (up to today) per platform, and
    the month's chart per platform."""

    today: list[PlatformEarnings]
    month: list[PlatformEarnings]
    charts: list[Chart]


def earnings_month(*, partner: Partner, today: date) -> MonthEarnings:
    """What `earnings_between` for today and for the month so far and `earnings_chart`
    give, from one pass over the month's daily sums (two queries in all)."""
    summed = _per_day(partner, today)

    def upto(platform: Platform, first: int) -> PlatformEarnings | None:
        days = [v for day, v in summed.per[platform.pk].items() if first <= day <= today.day]
        if not days:
            return None
        return PlatformEarnings(
            platform=platform,
            consultations=sum(v[2] for v in days),
            billed_seconds=sum(v[1] for v in days),
            share=Money(sum(v[0] for v in days), platform.currency),
        )

    return MonthEarnings(
        today=[e for p in summed.platforms if (e := upto(p, today.day)) is not None],
        month=[e for p in summed.platforms if (e := upto(p, 1)) is not None],
        charts=_charts(summed),
    )


def earnings_chart(*, partner: Partner, month: date) -> list[Chart]:
    """One chart per platform: the partner's share (bars, left axis) and minutes (dots,
    right axis) per day of `month`, with day labels below, laid out for an inline SVG
    (rendered locally, no external service)."""
    return _charts(_per_day(partner, month))


def _charts(summed: _Days) -> list[Chart]:
    days, per = summed.days, summed.per
    plot_w, plot_h = CHART_WIDTH - LEFT - RIGHT, CHART_HEIGHT - TOP - BOTTOM
    step = plot_w / days
    base = TOP + plot_h
    charts = []
    for platform in summed.platforms:
        values = per[platform.pk]
        top_share = nice_ceiling(max(v[0] for v in values.values()))
        top_minutes = nice_ceiling(max(v[1] // 60 for v in values.values()))
        bars = []
        for day in range(1, days + 1):
            share, seconds, _n = values.get(day, [0, 0, 0])
            minutes = seconds // 60
            # Geometry for the SVG only; the amounts shown as text stay integer cents.
            height = round(share * plot_h / top_share, 1)
            x = round(LEFT + (day - 1) * step + 1, 1)
            bars.append(
                ChartBar(
                    day=day,
                    share_minor=share,
                    minutes=minutes,
                    x=x,
                    y=round(base - height, 1),
                    width=round(step - 2, 1),
                    height=height,
                    minutes_x=round(x + (step - 2) / 2, 1),
                    minutes_y=round(base - minutes * plot_h / top_minutes, 1),
                )
            )
        charts.append(
            Chart(
                platform=platform,
                bars=bars,
                max_share_minor=top_share,
                max_minutes=top_minutes,
                width=CHART_WIDTH,
                height=CHART_HEIGHT,
                currency=platform.currency,
                left=LEFT,
                right=CHART_WIDTH - RIGHT,
                top=TOP,
                bottom=base,
                share_ticks=tuple(
                    Tick(round(base - plot_h * k / 2, 1), top_share * k // 2) for k in (0, 1, 2)
                ),
                minute_ticks=tuple(
                    Tick(round(base - plot_h * k / 2, 1), top_minutes * k // 2) for k in (0, 1, 2)
                ),
                day_ticks=tuple(
                    Tick(round(LEFT + (day - 0.5) * step, 1), day)
                    for day in sorted({1, 5, 10, 15, 20, 25, days})
                ),
                total_share_minor=sum(v[0] for v in values.values()),
                total_minutes=sum(v[1] for v in values.values()) // 60,
            )
        )
    return charts
