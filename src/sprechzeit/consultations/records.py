"""Itemized records (EVN): every settled consultation for the client, and per platform
for the partner (the client only by pseudonym), with month filters, month sums and
CSV. The sums are the settled amounts, which are exactly what the ledger booked."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from django.core.paginator import Page, Paginator
from django.db.models import Count, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sprechzeit.accounts.models import ClientAccount, Partner
from sprechzeit.consultations.models import Consultation
from sprechzeit.consultations.selectors import client_pseudonym
from sprechzeit.platforms.models import Platform

MEDIUM_LABELS = {
    "chat": _("Chat"),
    "phone": _("Telefon"),
    "video": _("Video"),
    "video_chat": _("Video, als Chat weitergeführt"),
}


def medium_of(consultation: Consultation) -> str:
    if consultation.channel == Consultation.Channel.VIDEO and consultation.media_fallback_at:
        return "video_chat"
    return consultation.channel


@dataclass(frozen=True, slots=True)
class Record:
    consultation_id: str
    platform: str
    partner: str
    client: str
    channel: str
    started_at: datetime
    ended_at: datetime
    duration_seconds: int
    billed_seconds: int
    tariff: str
    rate_minor: int
    amount_minor: int
    partner_share_minor: int
    currency: str
    # How it was held: "chat", "phone", "video", or "video_chat" (a video whose media
    # failed and that went on as a chat).
    medium: str = "chat"

    @property
    def medium_label(self) -> str:
        return str(MEDIUM_LABELS.get(self.medium, self.medium))

    @property
    def month(self) -> str:
        return timezone.localtime(self.started_at).strftime("%Y-%m")


def month_bounds(month: str) -> tuple[datetime, datetime]:
    """ "2026-03" → the month's start and the next month's start, in the operator's zone."""
    year, number = (int(part) for part in month.split("-", 1))
    start = timezone.make_aware(datetime(year, number, 1))  # noqa: DTZ001 - made aware here
    following = datetime(year + number // 12, number % 12 + 1, 1)  # noqa: DTZ001
    return start, timezone.make_aware(following)


def _settled(month: str | None) -> QuerySet[Consultation]:
    queryset = Consultation.objects.filter(status=Consultation.Status.SETTLED).select_related(
        "platform", "listing", "client"
    )
    if month:
        start, end = month_bounds(month)
        queryset = queryset.filter(started_at__gte=start, started_at__lt=end)
    return queryset.order_by("started_at", "pk")


def _record(consultation: Consultation, *, client_label: str) -> Record:
    assert consultation.started_at is not None
    assert consultation.ended_at is not None
    return Record(
        consultation_id=str(consultation.pk),
        platform=consultation.platform.name,
        partner=consultation.listing.display_name,
        client=client_label,
        channel=consultation.channel,
        started_at=consultation.started_at,
        ended_at=consultation.ended_at,
        duration_seconds=consultation.duration_seconds or 0,
        billed_seconds=consultation.billed_seconds or 0,
        tariff=consultation.tariff.label,
        rate_minor=consultation.rate_minor,
        amount_minor=consultation.amount_minor or 0,
        partner_share_minor=consultation.partner_share_minor or 0,
        currency=consultation.currency,
        medium=medium_of(consultation),
    )


# Rows per records page (newest first); the CSV has every row of the period.
RECORDS_PAGE: Final = 50


@dataclass(frozen=True, slots=True)
class RecordsPage:
    """One page of a records listing, newest first, and the month sums of all of it."""

    records: list[Record]
    sums: list[MonthSum]
    page: Page[Consultation]


def _records_page(
    queryset: QuerySet[Consultation],
    *,
    number: int | str | None,
    label: Callable[[Consultation], str],
) -> RecordsPage:
    """A page of `queryset`'s records (two queries: the count and the page) and its month
    sums, summed by the database (one query) rather than from every row: a long history
    costs the same three queries as a short one."""
    page = Paginator(queryset.order_by("-started_at", "-pk"), RECORDS_PAGE).get_page(number)
    return RecordsPage(
        records=[_record(consultation, client_label=label(consultation)) for consultation in page],
        sums=_month_sums_of(queryset),
        page=page,
    )


def _month_sums_of(queryset: QuerySet[Consultation]) -> list[MonthSum]:
    """`month_sums` of the queryset's records, grouped and summed by the database (the
    month in the current time zone, as `Record.month`)."""
    rows = (
        queryset.order_by()
        .annotate(month=TruncMonth("started_at", tzinfo=timezone.get_current_timezone()))
        .values_list("platform__name", "month")
        .annotate(
            n=Count("pk"),
            billed=Sum("billed_seconds"),
            gross=Sum("amount_minor"),
            share=Sum("partner_share_minor"),
        )
    )
    sums = [
        MonthSum(platform, month.strftime("%Y-%m"), n, billed or 0, gross or 0, share or 0)
        for platform, month, n, billed, gross, share in rows
    ]
    return sorted(sums, key=lambda total: (total.platform, total.month))


def records_page_for_client(
    *, client: ClientAccount, month: str | None = None, number: int | str | None = 1
) -> RecordsPage:
    return _records_page(
        _settled(month).filter(client=client),
        number=number,
        label=lambda _consultation: client.customer_number,
    )


def records_page_for_partner(
    *, partner: Partner, month: str | None = None, number: int | str | None = 1
) -> RecordsPage:
    return _records_page(
        _settled(month).filter(partner=partner),
        number=number,
        label=lambda consultation: client_pseudonym(consultation=consultation),
    )


def records_for_client(*, client: ClientAccount, month: str | None = None) -> list[Record]:
    return [
        _record(consultation, client_label=client.customer_number)
        for consultation in _settled(month).filter(client=client)
    ]


def records_for_partner(
    *, partner: Partner, platform: Platform | None = None, month: str | None = None
) -> list[Record]:
    queryset = _settled(month).filter(partner=partner)
    if platform is not None:
        queryset = queryset.filter(platform=platform)
    return [
        _record(consultation, client_label=client_pseudonym(consultation=consultation))
        for consultation in queryset
    ]


@dataclass(frozen=True, slots=True)
class MonthSum:
    platform: str
    month: str
    consultations: int
    billed_seconds: int
    amount_minor: int
    partner_share_minor: int


def month_sums(records: Iterable[Record]) -> list[MonthSum]:
    sums: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for record in records:
        total = sums[(record.platform, record.month)]
        total[0] += 1
        total[1] += record.billed_seconds
        total[2] += record.amount_minor
        total[3] += record.partner_share_minor
    return [
        MonthSum(platform, month, *values) for (platform, month), values in sorted(sums.items())
    ]


def _money(minor: int) -> str:
    sign = "-" if minor < 0 else ""
    return f"{sign}{abs(minor) // 100},{abs(minor) % 100:02d}"


def records_csv(records: Iterable[Record], *, for_partner: bool) -> str:
    """Semicolon-separated with decimal commas, as German spreadsheets expect."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    header = [
        "Beginn",
        "Ende",
        "Plattform",
        "Berater" if not for_partner else "Klient",
        "Kanal",
        "Dauer (s)",
        "Berechnet (s)",
        "Takt",
        "Preis/Min",
        "Betrag",
        "Währung",
    ]
    if for_partner:
        header.insert(-1, "Ihr Anteil")
    writer.writerow(header)
    for record in records:
        row = [
            timezone.localtime(record.started_at).isoformat(timespec="seconds"),
            timezone.localtime(record.ended_at).isoformat(timespec="seconds"),
            record.platform,
            record.client if for_partner else record.partner,
            record.medium,
            str(record.duration_seconds),
            str(record.billed_seconds),
            record.tariff,
            _money(record.rate_minor),
            _money(record.amount_minor),
            record.currency,
        ]
        if for_partner:
            row.insert(-1, _money(record.partner_share_minor))
        writer.writerow(row)
    return buffer.getvalue()
