"""The PDF of an issued statement (ZUGFeRD: PDF/A-3 with the issued XML attached), and the
month-end run that renders the missing ones across processes.

A PDF is stored once (NULL → bytes with its SHA-256; the database refuses any later
change, GoBD): every write here is `UPDATE … WHERE pdf IS NULL`, so a run that is
repeated, or two runs at once, render a document twice at worst and store it once.
"""

from __future__ import annotations

import hashlib
import logging
import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from typing import Final

from django.db import connections, transaction

from sprechzeit.statements import pdf_workers
from sprechzeit.statements.models import Statement

logger = logging.getLogger(__name__)

RENDERABLE: Final = (Statement.Status.ISSUED, Statement.Status.CANCELLED)
# Statements per unit of work: large enough that a worker's start (Django, WeasyPrint,
# fonts: about two seconds) is paid once for many documents, small enough that the last
# chunks of a run keep both cores busy.
CHUNK_SIZE: Final = 50


@dataclass(frozen=True, slots=True)
class PdfRun:
    """What a run of `statements_render_pdfs` did: PDFs stored, statements that failed
    (id → error; they keep no PDF and the next run tries them again), processes used."""

    rendered: int = 0
    failed: dict[int, str] = field(default_factory=dict)
    processes: int = 1


def _store(statement_id: int, pdf: bytes) -> bool:
    """Store the PDF unless one is stored already (then this one is dropped)."""
    with transaction.atomic():
        return bool(
            Statement.objects.filter(pk=statement_id, pdf__isnull=True).update(
                pdf=pdf, pdf_sha256=hashlib.sha256(pdf).hexdigest()
            )
        )


def statement_render_pdf(*, statement_id: int) -> Statement:
    """Render the PDF (ZUGFeRD: PDF/A-3 with the issued XML attached) from the frozen
    data, once. Idempotent: a statement that has its PDF is returned unchanged."""
    from sprechzeit.statements.documents.pdf import statement_pdf  # noqa: PLC0415 (heavy)

    statement = Statement.objects.get(pk=statement_id)
    if statement.pdf is not None or statement.status not in RENDERABLE:
        return statement
    _store(statement.pk, statement_pdf(data=statement.data, xml=bytes(statement.xml or b"")))
    return Statement.objects.get(pk=statement_id)


def statements_missing_pdf(*, limit: int | None = None) -> list[int]:
    """Ids of issued and cancelled documents without a PDF, oldest first."""
    ids = (
        Statement.objects.filter(pdf__isnull=True, status__in=RENDERABLE)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    return list(ids[:limit] if limit else ids)


def statements_render_pdf_chunk(*, ids: Sequence[int]) -> PdfRun:
    """Render and store, one after the other, the PDFs of those of `ids` that have none
    yet. A statement that fails is logged and reported; the others go on."""
    from sprechzeit.statements.documents.pdf import statement_pdf  # noqa: PLC0415 (heavy)

    rows = list(
        Statement.objects.filter(pk__in=list(ids), pdf__isnull=True, status__in=RENDERABLE)
        .order_by("pk")
        .values_list("pk", "data", "xml")
    )
    rendered = 0
    failed: dict[int, str] = {}
    for statement_id, data, xml in rows:
        try:
            rendered += _store(statement_id, statement_pdf(data=data, xml=bytes(xml or b"")))
        except Exception as exc:  # reported with its id; the run goes on
            logger.exception("statement PDF failed", extra={"statement_id": statement_id})
            failed[statement_id] = f"{type(exc).__name__}: {exc}"
    return PdfRun(rendered=rendered, failed=failed)


def _chunks(ids: Sequence[int], size: int) -> list[list[int]]:
    return [list(ids[start : start + size]) for start in range(0, len(ids), size)]


def statements_render_pdfs(
    *,
    ids: Sequence[int] | None = None,
    processes: int | None = None,
    chunk_size: int = CHUNK_SIZE,
    progress: Callable[[int, int], None] | None = None,
) -> PdfRun:
    """Render the missing PDFs (or those of `ids` still missing) in chunks spread over
    `processes` worker processes (default: one per CPU). Each worker is a fresh
    interpreter ("spawn": no database connection, pool or Pango state is inherited
    through fork) with its own connection to the same database. A failed statement, or
    the chunk of a worker that died, is reported in `PdfRun.failed` and the other chunks
    go on; a later run picks the failed ones up. `progress(done, total)` after each
    chunk, in statements."""
    pending = statements_missing_pdf() if ids is None else list(ids)
    chunks = _chunks(pending, max(1, chunk_size))
    workers = max(1, min(processes or os.cpu_count() or 1, len(chunks)))
    rendered, failed, done = 0, {}, 0

    def account(chunk: list[int], run: PdfRun) -> None:
        nonlocal rendered, done
        rendered += run.rendered
        failed.update(run.failed)
        done += len(chunk)
        if progress is not None:
            progress(done, len(pending))

    if workers == 1:
        for chunk in chunks:
            account(chunk, statements_render_pdf_chunk(ids=chunk))
        return PdfRun(rendered=rendered, failed=failed, processes=1)
    database = str(connections["default"].settings_dict["NAME"])
    with ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=pdf_workers.worker_start,
        initargs=(database,),
    ) as pool:
        futures = {pool.submit(pdf_workers.render_chunk, chunk): chunk for chunk in chunks}
        for future in as_completed(futures):
            chunk = futures[future]
            try:
                run = future.result()
            except Exception as exc:  # a dead worker loses its chunk only
                logger.exception("PDF worker failed", extra={"statements": len(chunk)})
                run = PdfRun(failed=dict.fromkeys(chunk, f"{type(exc).__name__}: {exc}"))
            account(chunk, run)
    return PdfRun(rendered=rendered, failed=failed, processes=workers)
