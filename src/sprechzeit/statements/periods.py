"""Statement periods: a month (`2026-10`), a quarter (`2026-Q3`) or half a month
(`2026-10-H1` = 1st–15th, `2026-10-H2` = 16th–month end), as each issuing entity's
`statement_period` says. Pure date arithmetic; no database."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Final
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from sprechzeit.core import clock
from sprechzeit.platforms.models import StatementPeriod
from sprechzeit.statements import errors

MONTH: Final = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
QUARTER: Final = re.compile(r"^(\d{4})-Q([1-4])$", re.IGNORECASE)
HALF_MONTH: Final = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])-H([12])$", re.IGNORECASE)
FIRST_YEAR: Final = 2000
LAST_YEAR: Final = 2999


def today() -> date:
    """The operator's calendar day now (`clock.now()` in the configured time zone)."""
    return timezone.localdate(clock.now())


def _month_end(year: int, month: int) -> date:
    return date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)


@dataclass(frozen=True, slots=True)
class Period:
    start: date
    end: date  # inclusive
    cadence: StatementPeriod = StatementPeriod.MONTHLY

    @property
    def label(self) -> str:
        """The notation `period_parse` reads back: 2026-10, 2026-Q3, 2026-10-H2."""
        if self.cadence == StatementPeriod.QUARTERLY:
            return f"{self.start.year}-Q{(self.start.month - 1) // 3 + 1}"
        if self.cadence == StatementPeriod.HALF_MONTHLY:
            return f"{self.start:%Y-%m}-H{1 if self.start.day == 1 else 2}"
        return f"{self.start:%Y-%m}"

    def bounds(self) -> tuple[datetime, datetime]:
        """[start, end) as aware datetimes in the operator's time zone."""
        zone = ZoneInfo(settings.TIME_ZONE)
        return (
            datetime.combine(self.start, time.min, zone),
            datetime.combine(self.end + timedelta(days=1), time.min, zone),
        )

    def previous(self) -> Period:
        return period_containing(cadence=self.cadence, day=self.start - timedelta(days=1))


def period_parse(value: str) -> Period:
    """'2026-10' → the month, '2026-Q3' → the quarter, '2026-10-H1' → 1–15 October.
    Raises `PeriodInvalid` for anything else."""
    text = value.strip() if isinstance(value, str) else ""
    if match := MONTH.match(text):
        year, month = int(match.group(1)), int(match.group(2))
        _check_year(value, year)
        return Period(date(year, month, 1), _month_end(year, month), StatementPeriod.MONTHLY)
    if match := QUARTER.match(text):
        year, quarter = int(match.group(1)), int(match.group(2))
        _check_year(value, year)
        first = 3 * quarter - 2
        return Period(date(year, first, 1), _month_end(year, first + 2), StatementPeriod.QUARTERLY)
    if match := HALF_MONTH.match(text):
        year, month, half = int(match.group(1)), int(match.group(2)), int(match.group(3))
        _check_year(value, year)
        if half == 1:
            return Period(date(year, month, 1), date(year, month, 15), StatementPeriod.HALF_MONTHLY)
        return Period(date(year, month, 16), _month_end(year, month), StatementPeriod.HALF_MONTHLY)
    raise errors.PeriodInvalid(period=value)


def _check_year(value: str, year: int) -> None:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise errors.PeriodInvalid(period=value)


def period_containing(*, cadence: str, day: date) -> Period:
    """The period of `cadence` that `day` falls in."""
    kind = StatementPeriod(cadence)
    if kind == StatementPeriod.QUARTERLY:
        first = 3 * ((day.month - 1) // 3) + 1
        return Period(date(day.year, first, 1), _month_end(day.year, first + 2), kind)
    if kind == StatementPeriod.HALF_MONTHLY:
        if day.day <= 15:
            return Period(day.replace(day=1), day.replace(day=15), kind)
        return Period(day.replace(day=16), _month_end(day.year, day.month), kind)
    return Period(day.replace(day=1), _month_end(day.year, day.month), kind)


def period_of(start: date, end: date) -> Period:
    """The period a stored statement covers, with its cadence read from its bounds."""
    for cadence in (
        StatementPeriod.MONTHLY,
        StatementPeriod.QUARTERLY,
        StatementPeriod.HALF_MONTHLY,
    ):
        candidate = period_containing(cadence=cadence, day=start)
        if (candidate.start, candidate.end) == (start, end):
            return candidate
    return Period(start, end, StatementPeriod.MONTHLY)


def period_text(start: date, end: date) -> str:
    """How a document names its period in German (frozen into line names): 10/2026,
    3. Quartal 2026, 01.10.–15.10.2026."""
    period = period_of(start, end)
    if (period.start, period.end) != (start, end):
        return f"{start:%d.%m.%Y}–{end:%d.%m.%Y}"
    if period.cadence == StatementPeriod.QUARTERLY:
        return f"{(start.month - 1) // 3 + 1}. Quartal {start.year}"
    if period.cadence == StatementPeriod.HALF_MONTHLY:
        return f"{start:%d.%m.}–{end:%d.%m.%Y}"
    return f"{start:%m/%Y}"


def period_name(start: date, end: date) -> str:
    """The period for people, in the active language: "Oktober 2026", "3. Quartal
    2026", "01.10.2026 – 15.10.2026"."""
    period = period_of(start, end)
    if (period.start, period.end) == (start, end):
        if period.cadence == StatementPeriod.MONTHLY:
            return date_format(start, "F Y")
        if period.cadence == StatementPeriod.QUARTERLY:
            return _("%(quarter)d. Quartal %(year)d") % {
                "quarter": (start.month - 1) // 3 + 1,
                "year": start.year,
            }
    return f"{date_format(start, 'SHORT_DATE_FORMAT')} – {date_format(end, 'SHORT_DATE_FORMAT')}"
