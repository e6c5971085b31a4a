"""The dashboard: today or a month against the span before, by platform and channel,
with a chart and each figure as CSV. Staff who may not see money (support) see the
queues and what is live only."""

from __future__ import annotations

import csv
from datetime import date, timedelta
from io import StringIO
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from sprechzeit.backoffice.dashboard.chart import bar_chart
from sprechzeit.backoffice.dashboard.figures import (
    LABELS,
    QUEUE_LABELS,
    Span,
    board_for,
    channel_label,
)
from sprechzeit.backoffice.http import console_view
from sprechzeit.backoffice.nav import allowed
from sprechzeit.core import clock

MAX_DAYS = 366
BREAKDOWNS = ("topups_by_channel", "minutes_by_channel", "daily")


def _day(value: str) -> date | None:
    try:
        return parse_date(value) if value else None
    except ValueError:
        return None


def span_from(request: HttpRequest) -> tuple[Span, str]:
    """The span asked for (`range` today/month, or `from`/`to`), and an error text."""
    today = timezone.localdate(clock.now())
    chosen = request.GET.get("range", "")
    if chosen == "today":
        return Span(today, today), ""
    first, last = _day(request.GET.get("from", "")), _day(request.GET.get("to", ""))
    if first is None and last is None:
        return Span(today.replace(day=1), today), ""
    if first is None or last is None or last < first:
        return Span(today.replace(day=1), today), _("Bitte einen gültigen Zeitraum angeben.")
    if (last - first).days >= MAX_DAYS:
        return Span(last - timedelta(days=MAX_DAYS - 1), last), _(
            "Der Zeitraum ist auf ein Jahr begrenzt."
        )
    return Span(first, last), ""


@console_view
def dashboard(request: HttpRequest) -> HttpResponse:
    span, error = span_from(request)
    board = board_for(span)
    money = allowed(request, "backoffice:dashboard_csv")
    context = {
        "board": board,
        "money_visible": money,
        "error": error,
        "chart": bar_chart(board.daily) if money else None,
        "queues": [(QUEUE_LABELS[key], count) for key, count in board.queues.items()],
        "topups": [
            (platform, channel_label(channel), minor)
            for (platform, channel), minor in board.topups_by_channel.items()
        ],
        "minutes": [
            (platform, channel_label(channel), minutes)
            for (platform, channel), minutes in board.minutes_by_channel.items()
        ],
        "query": f"from={span.first.isoformat()}&to={span.last.isoformat()}",
        "figure_keys": [*LABELS, *BREAKDOWNS],
    }
    return render(
        request, "backoffice/dashboard/dashboard.html", context, status=400 if error else 200
    )


def _rows(key: str, span: Span) -> list[list[Any]]:
    board = board_for(span)
    if key in LABELS or key == "all":
        header = ["figure", "kind", "from", "to", "value", "previous_from", "previous_to"]
        return [[*header, "previous"]] + [
            [
                figure.key,
                figure.kind,
                span.first.isoformat(),
                span.last.isoformat(),
                figure.value,
                board.previous_span.first.isoformat(),
                board.previous_span.last.isoformat(),
                figure.previous,
            ]
            for figure in board.figures
            if key in (figure.key, "all")
        ]
    if key == "topups_by_channel":
        return [["platform", "channel", "amount_minor"]] + [
            [platform, channel, minor]
            for (platform, channel), minor in board.topups_by_channel.items()
        ]
    if key == "minutes_by_channel":
        return [["platform", "channel", "minutes"]] + [
            [platform, channel, minutes]
            for (platform, channel), minutes in board.minutes_by_channel.items()
        ]
    return [["day", "topups_minor", "consumption_minor"]] + [
        [day.isoformat(), topups, consumption] for day, topups, consumption in board.daily
    ]


@console_view
def dashboard_csv(request: HttpRequest) -> HttpResponse:
    span, error = span_from(request)
    key = request.GET.get("figure", "all")
    if error or (key not in LABELS and key not in BREAKDOWNS and key != "all"):
        message = error or _("Unbekannte Kennzahl.")
        return HttpResponse(message, status=400, content_type="text/plain; charset=utf-8")
    out = StringIO()
    csv.writer(out).writerows(_rows(key, span))
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    name = f"{key}_{span.first.isoformat()}_{span.last.isoformat()}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
