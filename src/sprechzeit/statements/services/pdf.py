"""The PDF of an issued statement (ZUGFeRD: PDF/A-3 with the issued XML attached)."""

from __future__ import annotations

import hashlib

from django.db import transaction

from sprechzeit.statements.models import Statement


def statement_render_pdf(*, statement_id: int) -> Statement:
    """Render the PDF (ZUGFeRD: PDF/A-3 with the issued XML attached) from the frozen
    data, once. Idempotent: a statement that has its PDF is returned unchanged."""
    from sprechzeit.statements.documents.pdf import statement_pdf  # noqa: PLC0415 (heavy)

    statement = Statement.objects.get(pk=statement_id)
    if statement.pdf is not None or statement.status not in (
        Statement.Status.ISSUED,
        Statement.Status.CANCELLED,
    ):
        return statement
    pdf = statement_pdf(data=statement.data, xml=bytes(statement.xml or b""))
    with transaction.atomic():
        updated = Statement.objects.filter(pk=statement.pk, pdf__isnull=True).update(
            pdf=pdf, pdf_sha256=hashlib.sha256(pdf).hexdigest()
        )
    if updated:
        statement.refresh_from_db()
    return Statement.objects.get(pk=statement_id) if not updated else statement
