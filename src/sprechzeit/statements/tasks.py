"""Celery edges of statements: thin, take ids or a period, safe to rerun.

Beat (add to `config/celery.py`, see var/notes-for-lead.md): `statements_close_last_month`
on the 1st of each month at 02:00, then `statements_render_pdfs`.
"""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from sprechzeit.core import clock
from sprechzeit.statements import errors, services
from sprechzeit.statements.models import Statement


@shared_task(name="sprechzeit.statements.tasks.statements_close_last_month")
def statements_close_last_month() -> str:
    """Close the previous month (resumes a crashed run; a closed month is a no-op)."""
    first_of_month = timezone.localdate(clock.now()).replace(day=1)
    period = f"{first_of_month - timedelta(days=1):%Y-%m}"
    try:
        run = services.statements_close(period=period)
    except errors.PeriodAlreadyClosed:
        return f"{period}: already closed"
    statements_render_pdfs.delay()
    return f"{period}: {run.issued} issued, {run.held} held"


@shared_task(name="sprechzeit.statements.tasks.statements_render_pdfs")
def statements_render_pdfs(limit: int = 10_000) -> int:
    """Render the PDFs of issued documents that have none yet."""
    ids = list(
        Statement.objects.filter(
            pdf__isnull=True, status__in=[Statement.Status.ISSUED, Statement.Status.CANCELLED]
        )
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )
    for statement_id in ids:
        services.statement_render_pdf(statement_id=statement_id)
    return len(ids)


@shared_task(name="sprechzeit.statements.tasks.statements_release_held")
def statements_release_held() -> int:
    return sum(
        1
        for statement in services.statements_release_held()
        if statement.status == Statement.Status.ISSUED
    )
