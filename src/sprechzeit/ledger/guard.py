"""The switch of the insert-only triggers on `ledger_transfer` (migration 0002).

The triggers refuse every UPDATE and DELETE (and TRUNCATE on PostgreSQL) unless
maintenance is switched on for the current connection. Only `flush` (wiping a test or
demo database whole) switches it on. On PostgreSQL the switch is the session setting
`sprechzeit.ledger_maintenance`, and it counts only for a member of the role that owns
the table (ledger 0003, statements 0004; superusers are members of every role): the
application's role gets an error instead (docs/security.md, "Database roles"). On SQLite
it is the SQL function
`sprechzeit_ledger_maintenance()`, registered on every Django connection. A connection
without the function (the sqlite3 shell) fails the trigger too: closed by default.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import connections, migrations

_state = threading.local()


def _maintenance_on() -> int:
    return 1 if getattr(_state, "on", False) else 0


def register_sqlite_guard(connection: Any) -> None:
    if connection.vendor == "sqlite":
        connection.connection.create_function("sprechzeit_ledger_maintenance", 0, _maintenance_on)


@contextmanager
def ledger_maintenance(using: str = "default") -> Iterator[None]:
    """Allow deleting transfers on this connection, for wiping a whole database only."""
    connection = connections[using]
    previous = getattr(_state, "on", False)
    _state.on = True
    postgres = connection.vendor == "postgresql"
    if postgres:
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('sprechzeit.ledger_maintenance', 'on', false)")
    try:
        yield
    finally:
        _state.on = previous
        if postgres:
            with connection.cursor() as cursor:
                cursor.execute("SELECT set_config('sprechzeit.ledger_maintenance', '', false)")


# Tables made insert-only by `insert_only_operation`; `sprechzeit ledger check` reports any
# of their triggers missing. An app adds its tables here in its AppConfig.ready().
INSERT_ONLY_TABLES: list[str] = []


def insert_only_register(table: str) -> None:
    if table not in INSERT_ONLY_TABLES:
        INSERT_ONLY_TABLES.append(table)


def insert_only_sql(table: str, vendor: str) -> tuple[list[str], list[str]]:
    """(forward, backward) SQL that makes `table` insert-only on `vendor`.

    The same rule as `ledger_transfer` (ledger 0002/0003): UPDATE and DELETE (and TRUNCATE
    on PostgreSQL) are refused unless the maintenance switch is on, and on PostgreSQL the
    switch counts only for a member of the table's owner role. The triggers are named
    `<table>_insert_only*`, so `insert_only_missing(table)` can find them.
    """
    function = f"{table}_refuse_change"
    if vendor == "postgresql":
        forward = [
            f"""
CREATE OR REPLACE FUNCTION {function}() RETURNS trigger AS $$
BEGIN
    IF coalesce(current_setting('sprechzeit.ledger_maintenance', true), '') = 'on' THEN
        IF NOT pg_has_role(
            current_user, (SELECT relowner FROM pg_class WHERE oid = TG_RELID), 'MEMBER'
        ) THEN
            RAISE EXCEPTION 'maintenance of % needs its owner''s role; % by % refused',
                TG_TABLE_NAME, TG_OP, current_user
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
    END IF;
    RAISE EXCEPTION '% is insert-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'restrict_violation';
END;
$$ LANGUAGE plpgsql
""",  # noqa: S608 (the table name is a constant of the code)
            f"CREATE TRIGGER {table}_insert_only BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {function}()",
            f"CREATE TRIGGER {table}_insert_only_truncate BEFORE TRUNCATE ON {table} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {function}()",
        ]
        backward = [
            f"DROP TRIGGER IF EXISTS {table}_insert_only_truncate ON {table}",
            f"DROP TRIGGER IF EXISTS {table}_insert_only ON {table}",
            f"DROP FUNCTION IF EXISTS {function}()",
        ]
        return forward, backward
    if vendor == "sqlite":
        forward = [
            f"CREATE TRIGGER {table}_insert_only_update BEFORE UPDATE ON {table} "
            "WHEN NOT sprechzeit_ledger_maintenance() "
            f"BEGIN SELECT RAISE(ABORT, '{table} is insert-only: UPDATE refused'); END;",
            f"CREATE TRIGGER {table}_insert_only_delete BEFORE DELETE ON {table} "
            "WHEN NOT sprechzeit_ledger_maintenance() "
            f"BEGIN SELECT RAISE(ABORT, '{table} is insert-only: DELETE refused'); END;",
        ]
        backward = [
            f"DROP TRIGGER IF EXISTS {table}_insert_only_update;",
            f"DROP TRIGGER IF EXISTS {table}_insert_only_delete;",
        ]
        return forward, backward
    raise NotImplementedError(f"No insert-only triggers for {vendor}.")


def insert_only_operation(table: str) -> Any:
    """A migration operation making `table` insert-only (see `insert_only_sql`).

    A later migration that makes Django rebuild the table on SQLite (it copies the table)
    drops the triggers: such a migration must add this operation again.
    """

    def forward(apps: Any, schema_editor: Any) -> None:
        for statement in insert_only_sql(table, schema_editor.connection.vendor)[0]:
            schema_editor.execute(statement, params=None)

    def backward(apps: Any, schema_editor: Any) -> None:
        for statement in insert_only_sql(table, schema_editor.connection.vendor)[1]:
            schema_editor.execute(statement, params=None)

    return migrations.RunPython(forward, backward)


def insert_only_missing(table: str, using: str = "default") -> list[str]:
    """The insert-only triggers of `table` that the database lacks (none: protected)."""
    connection = connections[using]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT tgname FROM pg_trigger WHERE tgrelid = %s::regclass AND NOT tgisinternal",
                [table],
            )
            expected = [f"{table}_insert_only", f"{table}_insert_only_truncate"]
        else:
            cursor.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s", [table]
            )
            expected = [f"{table}_insert_only_update", f"{table}_insert_only_delete"]
        present = {row[0] for row in cursor.fetchall()}
    return [name for name in expected if name not in present]
