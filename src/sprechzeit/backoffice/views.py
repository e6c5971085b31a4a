"""The console's own pages: the audit trail and its export (admins)."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from datetime import datetime, time, timedelta
from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext_lazy as _

from sprechzeit.audit.models import AuditEntry
from sprechzeit.audit.selectors import audit_entries
from sprechzeit.backoffice.http import console_view
from sprechzeit.backoffice.nav import NavEntry

NAV = [NavEntry(_("Protokoll"), "audit", _("Verwaltung"))]

AUDIT_CSV_HEADER = (
    "at",
    "actor",
    "roles",
    "action",
    "object_type",
    "object_id",
    "object",
    "platform",
    "before",
    "after",
    "reason",
    "ip",
)


def _filtered(request: HttpRequest) -> tuple[dict[str, str], list[str], QuerySet[AuditEntry]]:
    """The audit filter from the query (dates as YYYY-MM-DD, inclusive), its errors and entries."""
    values = {
        key: request.GET.get(key, "").strip()[:64] for key in ("from", "to", "action", "actor")
    }
    errors: list[str] = []
    since = until = None
    zone = timezone.get_current_timezone()
    for key in ("from", "to"):
        if not values[key]:
            continue
        try:
            day = parse_date(values[key])
        except ValueError:
            day = None
        if day is None:
            errors.append(str(_("Bitte ein Datum im Format JJJJ-MM-TT angeben.")))
            continue
        start = datetime.combine(day, time.min, tzinfo=zone)
        if key == "from":
            since = start
        else:
            until = start + timedelta(days=1)
    entries = audit_entries(
        since=since, until=until, action=values["action"], actor_label=values["actor"]
    )
    return values, errors, entries


@console_view
def audit_list(request: HttpRequest) -> HttpResponse:
    values, errors, entries = _filtered(request)
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    query = urlencode({key: value for key, value in values.items() if value})
    return render(
        request,
        "backoffice/audit.html",
        {"page": page, "filters": values, "errors": errors, "query": query},
        status=400 if errors else 200,
    )


class _Echo:
    def write(self, value: str) -> str:
        return value


def _csv_rows(entries: QuerySet[AuditEntry]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow(AUDIT_CSV_HEADER)
    for entry in entries.iterator(chunk_size=500):
        yield writer.writerow(
            (
                entry.at.isoformat(),
                entry.actor_label,
                entry.actor_roles,
                entry.action,
                entry.target_type,
                entry.target_id,
                entry.target_label,
                entry.platform.slug if entry.platform is not None else "",
                "" if entry.before is None else json.dumps(entry.before, ensure_ascii=False),
                "" if entry.after is None else json.dumps(entry.after, ensure_ascii=False),
                entry.reason,
                entry.ip or "",
            )
        )


@console_view
def audit_csv(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    _values, errors, entries = _filtered(request)
    if errors:
        return HttpResponse("\n".join(errors), status=400, content_type="text/plain; charset=utf-8")
    response = StreamingHttpResponse(_csv_rows(entries), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="protokoll.csv"'
    return response
