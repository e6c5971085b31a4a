"""Raw SQL helpers, in one place: where the ORM costs too much on a hot path (the ledger's
booking, issuing statements by the hundred) or cannot say it (aggregate replays).

SQL passed here is assembled from constants and placeholder lists only; every value is
a bound parameter.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from typing import Any, Final, cast

from django.db import connection
from django.db.models import Field, Model

# SQLite limits bound parameters per statement; PostgreSQL gets one array parameter.
SQLITE_CHUNK: Final = 5000


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


def db_uuid(value: uuid.UUID) -> Any:
    """`value` as the backend stores it in a UUID column: 32 hex characters on SQLite,
    uuid on PostgreSQL (for raw parameters, which skip the field's preparation)."""
    return value if is_postgres() else value.hex


def py_uuid(value: Any) -> uuid.UUID:
    """A UUID column's raw value (uuid or hex text) as a `uuid.UUID`."""
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


def rows_fetch(sql: str, params: Sequence[Any] | None = None) -> list[tuple[Any, ...]]:
    """All rows of one query (without `params`, `%` in `sql` is literal)."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


def rows_select_in(sql: str, values: Sequence[Any]) -> Iterator[tuple[Any, ...]]:
    """Run `sql` whose `{in}` placeholder filters a column by `values`.

    `sql` must contain `{in}` once per filtered column, each bound to the same values.
    PostgreSQL gets one array parameter (`= ANY(%s)`); SQLite gets `IN (…)` in chunks of
    `SQLITE_CHUNK`, under its limit of bound parameters.
    """
    if not values:
        return
    count = sql.count("{in}")
    with connection.cursor() as cursor:
        if is_postgres():
            cursor.execute(sql.replace("{in}", "= ANY(%s)"), [list(values)] * count)
            yield from cursor.fetchall()
            return
        for start in range(0, len(values), SQLITE_CHUNK):
            chunk = list(values[start : start + SQLITE_CHUNK])
            marks = "IN (" + ",".join(["%s"] * len(chunk)) + ")"
            cursor.execute(sql.replace("{in}", marks), chunk * count)
            yield from cursor.fetchall()


def rows_update_each[M: Model](objects: Sequence[M], names: Sequence[str]) -> None:
    """UPDATE each object's row with its own values of the fields `names`, in one
    executemany (psycopg pipelines it): Django's bulk_update builds a CASE per field and
    row, quadratic for a chunk of hundreds. Values go through each field's own database
    preparation. All objects are of one model and saved already (they have a pk)."""
    if not objects:
        return
    meta = type(objects[0])._meta
    fields = [cast("Field[Any, Any]", meta.get_field(name)) for name in names]
    columns = ", ".join(f"{connection.ops.quote_name(str(field.column))} = %s" for field in fields)
    table = connection.ops.quote_name(meta.db_table)
    key = connection.ops.quote_name(str(meta.pk.column))
    rows = [
        [
            *(field.get_db_prep_save(getattr(item, field.attname), connection) for field in fields),
            item.pk,
        ]
        for item in objects
    ]
    with connection.cursor() as cursor:
        cursor.executemany(f"UPDATE {table} SET {columns} WHERE {key} = %s", rows)  # noqa: S608
