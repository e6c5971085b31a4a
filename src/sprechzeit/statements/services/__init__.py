"""Statement writes, one module per use case: `tax_profile` (partner tax and bank data),
`adjustments`, `close` (the period close and the daily job), `issue` (gap-free numbers,
frozen data, CII XML, VAT booking), `cancel`, `pdf` (one PDF, and the month-end run across
processes); `bookings` holds the issuing entity's accounts and the VAT booking both
issue and cancel use. What the documents say is assembled in
`statements.documents.assembly`.

Transactions: `statements_issue` is one transaction per chunk of documents (lock the
statement rows, then the number counter; number, data, XML, VAT booking commit
together), so a run that dies midway and is started again issues each document
exactly once.
"""

from __future__ import annotations

from sprechzeit.statements.documents.assembly import statement_data
from sprechzeit.statements.services.adjustments import adjustment_create
from sprechzeit.statements.services.bookings import entity_account
from sprechzeit.statements.services.cancel import statement_cancel
from sprechzeit.statements.services.close import (
    periods_due,
    statements_close,
    statements_close_due,
    statements_release_held,
)
from sprechzeit.statements.services.issue import statement_issue, statements_issue
from sprechzeit.statements.services.objection import objection_resolve, statement_object
from sprechzeit.statements.services.pdf import (
    PdfRun,
    statement_render_pdf,
    statements_missing_pdf,
    statements_render_pdf_chunk,
    statements_render_pdfs,
)
from sprechzeit.statements.services.tax_profile import (
    self_billing_accept,
    tax_fields_check,
    tax_profile_save,
)

__all__ = [
    "PdfRun",
    "adjustment_create",
    "entity_account",
    "objection_resolve",
    "periods_due",
    "self_billing_accept",
    "statement_cancel",
    "statement_data",
    "statement_issue",
    "statement_object",
    "statement_render_pdf",
    "statements_close",
    "statements_close_due",
    "statements_issue",
    "statements_missing_pdf",
    "statements_release_held",
    "statements_render_pdf_chunk",
    "statements_render_pdfs",
    "tax_fields_check",
    "tax_profile_save",
]
