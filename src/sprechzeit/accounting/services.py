"""Accounting use cases: write the DATEV posting batch of an entity and period."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Final

from django.utils import timezone

from sprechzeit.accounting import errors
from sprechzeit.accounting.datev import datev_rows, extf_rows
from sprechzeit.accounting.extf import Header, Row, extf_bytes, file_name
from sprechzeit.accounting.selectors import consultation_vat_cases, period_movements
from sprechzeit.core import clock
from sprechzeit.platforms.models import LegalEntity, StatementPeriod
from sprechzeit.statements import errors as statement_errors
from sprechzeit.statements.periods import Period, period_parse

MAX_ROWS: Final = 99_999


@dataclass(frozen=True, slots=True)
class DatevBatch:
    header: Header
    rows: tuple[Row, ...]
    content: bytes
    name: str


def accounting_period(value: str) -> Period:
    """A month (2026-10) or a quarter (2026-Q4): the periods of a VAT advance return."""
    try:
        period = period_parse(value)
    except statement_errors.PeriodInvalid as exc:
        raise errors.PeriodNotMonthOrQuarter(period=value) from exc
    if period.cadence == StatementPeriod.HALF_MONTHLY:
        raise errors.PeriodNotMonthOrQuarter(period=value)
    return period


def fiscal_year_start(*, legal_entity: LegalEntity, day: date) -> date:
    """The first day of the fiscal year `day` lies in."""
    month = legal_entity.fiscal_year_start_month
    year = day.year if day.month >= month else day.year - 1
    return date(year, month, 1)


def datev_batch(
    *,
    legal_entity: LegalEntity,
    period: str,
    consultant_number: int | None = None,
    client_number: int | None = None,
) -> DatevBatch:
    """The posting batch of `legal_entity` for `period` (a month or quarter). The DATEV
    numbers come from the entity unless given."""
    span = accounting_period(period)
    consultant = consultant_number or legal_entity.datev_consultant_number
    client = client_number or legal_entity.datev_client_number
    if not consultant or not client:
        raise errors.DatevNumbersMissing(legal_entity=legal_entity.pk)
    chart = legal_entity.chart_of_accounts
    movements = period_movements(legal_entity=legal_entity, period=span)
    cases = consultation_vat_cases(m.reference for m in movements)
    rows = tuple(extf_rows(datev_rows(movements, cases), chart=chart))
    if len(rows) > MAX_ROWS:
        raise errors.TooManyBookings(rows=len(rows))
    header = Header(
        consultant_number=consultant,
        client_number=client,
        fiscal_year_start=fiscal_year_start(legal_entity=legal_entity, day=span.start),
        period_start=span.start,
        period_end=span.end,
        description=f"Sprechzeit {span.label}",
        created_at=timezone.localtime(clock.now()),
        chart=chart,
    )
    return DatevBatch(
        header=header,
        rows=rows,
        content=extf_bytes(header=header, rows=rows),
        name=file_name(header),
    )


def datev_export(
    *,
    legal_entity: LegalEntity,
    period: str,
    out: Path,
    consultant_number: int | None = None,
    client_number: int | None = None,
) -> Path:
    """Write the posting batch into the directory `out` (created if missing); returns
    the file's path."""
    batch = datev_batch(
        legal_entity=legal_entity,
        period=period,
        consultant_number=consultant_number,
        client_number=client_number,
    )
    out.mkdir(parents=True, exist_ok=True)
    path = out / batch.name
    path.write_bytes(batch.content)
    return path
