"""The dashboard's figures for a date range and the range before it, read from the records
(payments, consultations, disputes, users) and the ledger (write-offs). The test
`backoffice/tests/test_dashboard.py` recomputes each one from the ledger's transfers."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Q, QuerySet, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from sprechzeit.accounts.models import User
from sprechzeit.consultations.models import Consultation, PartnerPresence
from sprechzeit.ledger.models import Transfer
from sprechzeit.payments.models import (
    BankEntry,
    BankEntryStatus,
    Channel,
    Dispute,
    DisputeStatus,
    InboxEntry,
    InboxStatus,
    Payment,
    RefundRequest,
    RefundRequestStatus,
)
from sprechzeit.platforms.models import ContactMessage, Platform

CREDITED = Q(status="succeeded", credited_at__isnull=False)


@dataclass(frozen=True)
class Span:
    """Days `first`..`last` (inclusive) in the installation's time zone."""

    first: date
    last: date

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first, time.min, tzinfo=timezone.get_current_timezone())

    @property
    def end(self) -> datetime:
        return datetime.combine(
            self.last + timedelta(days=1), time.min, tzinfo=timezone.get_current_timezone()
        )

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def before(self) -> Span:
        """The span of the same length just before; a whole month's is the month before."""
        if self.first.day == 1 and (self.last + timedelta(days=1)).day == 1:
            last = self.first - timedelta(days=1)
            return Span(last.replace(day=1), last)
        if self.first.day == 1 and self.last.day < 28:
            # This month so far vs the same days of last month.
            previous_last_day = self.first - timedelta(days=1)
            first = previous_last_day.replace(day=1)
            day = min(self.last.day, previous_last_day.day)
            return Span(first, first.replace(day=day))
        return Span(self.first - timedelta(days=self.days), self.first - timedelta(days=1))


@dataclass(frozen=True)
class Figure:
    key: str
    label: str | Promise
    kind: str  # "money" (minor units, EUR), "count", "percent", "minutes"
    value: int | Decimal
    previous: int | Decimal


@dataclass
class Board:
    span: Span
    previous_span: Span
    figures: list[Figure]
    # (platform name, channel) → minor units / seconds
    topups_by_channel: dict[tuple[str, str], int] = field(default_factory=dict)
    minutes_by_channel: dict[tuple[str, str], Decimal] = field(default_factory=dict)
    daily: list[tuple[date, int, int]] = field(default_factory=list)  # day, top-ups, consumption
    live_consultations: int = 0
    online_partners: int = 0
    queues: dict[str, int] = field(default_factory=dict)


def _sum(queryset: QuerySet[Any], column: str) -> int:
    return int(queryset.aggregate(total=Sum(column))["total"] or 0)


def _payments(span: Span) -> QuerySet[Payment]:
    return Payment.objects.filter(CREDITED, credited_at__gte=span.start, credited_at__lt=span.end)


def _settled(span: Span) -> QuerySet[Consultation]:
    return Consultation.objects.filter(
        status=Consultation.Status.SETTLED, settled_at__gte=span.start, settled_at__lt=span.end
    )


def _scalars(span: Span) -> dict[str, int | Decimal]:
    payments = _payments(span)
    settled = _settled(span)
    count = payments.count()
    disputes = Dispute.objects.filter(opened_at__gte=span.start, opened_at__lt=span.end).count()
    rate = (Decimal(disputes * 100) / count).quantize(Decimal("0.01")) if count else Decimal(0)
    write_offs = Transfer.objects.filter(
        purpose="receivable_written_off", created_at__gte=span.start, created_at__lt=span.end
    )
    return {
        "topups": _sum(payments, "amount_minor"),
        "topups_count": count,
        "consumption": _sum(settled, "amount_minor"),
        "vat": _sum(settled, "vat_minor"),
        "partner_shares": _sum(settled, "partner_share_minor"),
        "margin": _sum(settled, "platform_share_minor"),
        "paid_minutes": (Decimal(_sum(settled, "billed_seconds")) / 60).quantize(Decimal("0.1")),
        "consultations": settled.count(),
        "new_clients": User.objects.filter(
            kind=User.Kind.CLIENT, date_joined__gte=span.start, date_joined__lt=span.end
        ).count(),
        "chargebacks": disputes,
        "chargeback_rate": rate,
        "write_offs": _sum(write_offs, "amount"),
    }


LABELS: dict[str, tuple[str | Promise, str]] = {
    "topups": (_("Aufladungen"), "money"),
    "topups_count": (_("Anzahl Aufladungen"), "count"),
    "consumption": (_("Verbrauch (brutto)"), "money"),
    "vat": (_("darin Umsatzsteuer"), "money"),
    "partner_shares": (_("Anteile der Berater"), "money"),
    "margin": (_("Marge des Betreibers (netto)"), "money"),
    "paid_minutes": (_("Bezahlte Minuten"), "minutes"),
    "consultations": (_("Abgerechnete Beratungen"), "count"),
    "new_clients": (_("Neue Klienten"), "count"),
    "chargebacks": (_("Rückbuchungen"), "count"),
    "chargeback_rate": (_("Rückbuchungsquote"), "percent"),
    "write_offs": (_("Ausgebuchte Forderungen"), "money"),
}


def _breakdowns(board: Board, span: Span) -> None:
    names = dict(Platform.objects.values_list("pk", "name"))
    for row in (
        _payments(span)
        .values("platform_id", "channel")
        .annotate(total=Sum("amount_minor"))
        .order_by("platform_id", "channel")
    ):
        board.topups_by_channel[(names[row["platform_id"]], row["channel"])] = int(row["total"])
    for platform_id, channel, seconds in (
        _settled(span)
        .values("platform_id", "channel")
        .annotate(seconds=Sum("billed_seconds"))
        .order_by("platform_id", "channel")
        .values_list("platform_id", "channel", "seconds")
    ):
        minutes = (Decimal(seconds or 0) / 60).quantize(Decimal("0.1"))
        board.minutes_by_channel[(names[platform_id], channel)] = minutes


def _daily(span: Span) -> list[tuple[date, int, int]]:
    zone = timezone.get_current_timezone()
    topups: dict[date, int] = defaultdict(int)
    consumption: dict[date, int] = defaultdict(int)
    for day, total in (
        _payments(span)
        .annotate(day=TruncDate("credited_at", tzinfo=zone))
        .values_list("day")
        .annotate(total=Sum("amount_minor"))
        .values_list("day", "total")
    ):
        topups[day] += int(total or 0)
    for day, total in (
        _settled(span)
        .annotate(day=TruncDate("settled_at", tzinfo=zone))
        .values_list("day")
        .annotate(total=Sum("amount_minor"))
        .values_list("day", "total")
    ):
        consumption[day] += int(total or 0)
    days = [span.first + timedelta(days=offset) for offset in range(span.days)]
    return [(day, topups[day], consumption[day]) for day in days]


def queue_counts() -> dict[str, int]:
    """Open items per work queue (what waits for staff now)."""
    return {
        "disputes": Dispute.objects.filter(status=DisputeStatus.OPEN).count(),
        "refunds": RefundRequest.objects.filter(status=RefundRequestStatus.REQUESTED).count(),
        "messages": ContactMessage.objects.filter(handled=False).count(),
        "bank": BankEntry.objects.filter(status=BankEntryStatus.REVIEW).count(),
        "inbox": InboxEntry.objects.filter(
            status__in=(InboxStatus.REVIEW, InboxStatus.FAILED)
        ).count(),
    }


QUEUE_LABELS: dict[str, str | Promise] = {
    "disputes": _("Offene Rückbuchungen"),
    "refunds": _("Offene Erstattungsanträge"),
    "messages": _("Unbeantwortete Nachrichten"),
    "bank": _("Ungeklärte Bankbuchungen"),
    "inbox": _("Ungeklärte Zahlungsmeldungen"),
}


def board_for(span: Span) -> Board:
    previous_span = span.before()
    now_values, before_values = _scalars(span), _scalars(previous_span)
    figures = [
        Figure(key, label, kind, now_values[key], before_values[key])
        for key, (label, kind) in LABELS.items()
    ]
    board = Board(span=span, previous_span=previous_span, figures=figures)
    _breakdowns(board, span)
    board.daily = _daily(span)
    board.live_consultations = Consultation.objects.filter(status=Consultation.Status.LIVE).count()
    board.online_partners = PartnerPresence.objects.filter(
        status=PartnerPresence.Status.ONLINE
    ).count()
    board.queues = queue_counts()
    return board


def channel_label(channel: str) -> str:
    """A payment or consultation channel's display name."""
    choices = dict(Channel.choices) | dict(Consultation.Channel.choices)
    return str(choices.get(channel, channel))
