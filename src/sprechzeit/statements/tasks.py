"""Celery edges of statements: thin, take ids or a period, safe to rerun.

Beat (`config/celery.py`): `statements_close_due` daily at 02:30 closes, per cadence in
use (monthly, quarterly, half-monthly), the latest period that has ended; a closed one
is a no-op. PDFs follow through `statements_render_pdfs`, which dispatches them in chunks
(`statements_render_pdf_chunk`) to the worker's processes.
"""

from __future__ import annotations

import logging

from celery import shared_task

from sprechzeit.statements import (
    mails,  # noqa: F401 - registers its mail task for the worker
    services,
)
from sprechzeit.statements.models import Statement
from sprechzeit.statements.services.pdf import CHUNK_SIZE as PDF_CHUNK_SIZE

logger = logging.getLogger(__name__)


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
    """Dispatch the missing PDFs in chunks (`statements_render_pdf_chunk`), so the worker's
    processes (its concurrency, one per core) render them side by side; returns how many
    statements were dispatched. A doubled dispatch (beat comes again while chunks still
    queue) costs one query per chunk: a chunk skips statements that have their PDF."""
    ids = services.statements_missing_pdf(limit=limit)
    for start in range(0, len(ids), PDF_CHUNK_SIZE):
        statements_render_pdf_chunk.delay(ids[start : start + PDF_CHUNK_SIZE])
    return len(ids)


@shared_task(name="sprechzeit.statements.tasks.statements_render_pdf_chunk")
def statements_render_pdf_chunk(ids: list[int]) -> int:
    """Render the PDFs of `ids` still missing; a statement that fails is logged (with its
    id) and the next dispatch tries it again."""
    run = services.statements_render_pdf_chunk(ids=ids)
    if run.failed:
        logger.error("statement PDFs failed", extra={"statements": sorted(run.failed)})
    return run.rendered


@shared_task(name="sprechzeit.statements.tasks.statements_release_held")
def statements_release_held() -> int:
    return sum(
        1
        for statement in services.statements_release_held()
        if statement.status == Statement.Status.ISSUED
    )
