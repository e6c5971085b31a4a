"""Celery edges of statements: thin, take ids or a period, safe to rerun.

Beat (`config/celery.py`): `statements_close_due` daily at 02:30 closes, per cadence in
use (monthly, quarterly, half-monthly), the latest period that has ended; a closed one
is a no-op. PDFs follow through `statements_render_pdfs`.
"""

from __future__ import annotations

from celery import shared_task

from sprechzeit.statements import (
    mails,  # noqa: F401 - registers its mail task for the worker
    services,
)
from sprechzeit.statements.models import Statement


@shared_task(name="sprechzeit.statements.tasks.statements_close_due")
def statements_close_due() -> str:
    """Close every ended period not closed yet, per cadence in use (resumes a crashed
    run; a closed period is a no-op)."""
    runs = services.statements_close_due()
    if runs:
        statements_render_pdfs.delay()
    return "; ".join(f"{run.period_label}: {run.issued} issued, {run.held} held" for run in runs)


@shared_task(name="sprechzeit.statements.tasks.statements_close_last_month")
def statements_close_last_month() -> str:
    """Kept for beat schedules written before statement periods were configurable."""
    return str(statements_close_due())


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
