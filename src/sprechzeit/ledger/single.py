"""One transfer in one round trip on PostgreSQL: the caller of `ledger_book_one` (ledger
migration 0005), which does in the server what `booking._book_once` does in Python for a
single request — same checks, same order, same outcomes, same remembered failures.

`booking.book` sends every single request here on PostgreSQL (batches, the expiry sweep
and SQLite keep the Python path). Outside a caller's transaction the statement runs in
autocommit: no BEGIN and no COMMIT message, so a transfer costs exactly one round trip
(the commit's WAL flush is shared with concurrent commits, as before).
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta
from functools import partial
from typing import Any, Final

from django.db import connection, transaction

from sprechzeit.core import metrics
from sprechzeit.core.money import Money
from sprechzeit.ledger import errors

_SQL: Final = (
    "SELECT * FROM ledger_book_one(%s::uuid, %s::text, %s::bigint, %s::bigint, %s::bigint,"
    " %s::text, %s::text, %s::text, %s::jsonb, %s::uuid, %s::interval, %s::uuid, %s::text,"
    " %s::timestamptz)"
)

_KNOWN: Final[tuple[type[errors.LedgerError], ...]] = (
    *errors.REMEMBERED_FAILURES,
    errors.InvalidTransfer,
    errors.IdConflict,
    errors.IdAlreadyFailed,
)
_ERRORS: Final[dict[str, type[errors.LedgerError]]] = {cls.code: cls for cls in _KNOWN}


# What `ledger_book_one` returns for a booked or replayed transfer: kind, debit, credit,
# amount, currency, purpose, reference, pending id, expiry, batch id, created at.
type BookedRow = tuple[Any, ...]


def book_one(
    *,
    transfer_id: uuid.UUID,
    kind: str,
    debit_id: int | None,
    credit_id: int | None,
    amount: Money | None,
    purpose: str,
    reference: str,
    metadata: str,
    pending_id: uuid.UUID | None,
    timeout: timedelta | None,
    batch_id: uuid.UUID | None,
    digest: str,
    now: datetime,
) -> tuple[BookedRow, bool] | errors.LedgerError:
    """Book one request (validated by `booking._prepare_all`) with one statement.

    Returns the stored row and whether it was a replay, or the `LedgerError` to raise.
    """
    params: list[Any] = [
        transfer_id,
        kind,
        debit_id,
        credit_id,
        None if amount is None else amount.minor,
        None if amount is None else amount.currency,
        purpose,
        reference,
        metadata,
        pending_id,
        timeout,
        batch_id,
        digest,
        now,
    ]
    with connection.cursor() as cursor:
        cursor.execute(_SQL, params)
        row = cursor.fetchone()
    outcome, code, message, fields = row[:4]
    if outcome == "error":
        # Django's psycopg loader hands jsonb over as text (for JSONField to decode).
        loaded = json.loads(fields) if isinstance(fields, str) else fields
        return _ERRORS[code](message or None, **loaded)
    replayed = outcome == "replayed"
    if not replayed:
        transaction.on_commit(partial(metrics.count_ledger_transfers, 1))
    return tuple(row[4:]), replayed
