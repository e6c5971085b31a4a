"""What can go wrong with the accounting exports; each error has a stable code."""

from __future__ import annotations

from typing import ClassVar

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from sprechzeit.core.errors import DomainError


class AccountingError(DomainError):
    code: ClassVar[str] = "accounting_error"


class DatevNumbersMissing(AccountingError):
    """The entity has no DATEV consultant or client number (and none was given)."""

    code: ClassVar[str] = "datev_numbers_missing"
    default_message: ClassVar[str | Promise] = _(
        "Für den Rechtsträger fehlen die DATEV-Beraternummer oder die Mandantennummer."
    )


class PeriodNotMonthOrQuarter(AccountingError):
    code: ClassVar[str] = "period_not_month_or_quarter"
    default_message: ClassVar[str | Promise] = _(
        "Der Zeitraum muss ein Monat (JJJJ-MM) oder ein Quartal (JJJJ-Qn) sein."
    )


class TooManyBookings(AccountingError):
    """DATEV takes at most 99,999 bookings per file."""

    code: ClassVar[str] = "too_many_bookings"
    default_message: ClassVar[str | Promise] = _(
        "Der Zeitraum hat mehr als 99.999 Buchungen; DATEV nimmt so viele nicht in einer Datei."
    )
