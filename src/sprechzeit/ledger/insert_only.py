"""Insert-only tables that still allow named changes, for any app (GoBD: booked and
issued records are corrected by new records, never changed or deleted).

`ledger.guard.insert_only_operation(table)` refuses every UPDATE. Some records must still
move in a narrow way (a counter counts up, a payout's state follows the bank, a run's
file is written once): `insert_only_operations(table, mutable=…, rule=…)` returns the
migration operations for those, with the same trigger names as the guard's (so
`guard.insert_only_missing` and `sprechzeit ledger check` find them; register the
table with `guard.insert_only_register` in the app's `ready()`), on PostgreSQL and
SQLite:

- DELETE is refused (and TRUNCATE on PostgreSQL);
- UPDATE is refused, unless only the `mutable` columns change and `rule` (an SQL
  condition over OLD and NEW, written to run on both databases, e.g. with
  `IS NOT DISTINCT FROM`) holds; with neither, every UPDATE is refused;
- the maintenance switch of `sprechzeit.ledger.guard` (`flush` only) opens them, on
  PostgreSQL only for a member of the table owner's role (ledger 0003).

Without `mutable` and `rule` it is the guard's operation. On SQLite the frozen columns
are the table's columns when the migration runs: a column added later is frozen only
when the triggers are made again (a migration that makes Django rebuild the table on
SQLite drops them anyway and must make them again).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

from django.db import migrations

from sprechzeit.ledger.guard import insert_only_operation

_OWNER_ONLY: Final = """
        IF NOT pg_has_role(
            current_user, (SELECT relowner FROM pg_class WHERE oid = TG_RELID), 'MEMBER'
        ) THEN
            RAISE EXCEPTION 'maintenance of % needs its owner''s role; % by % refused',
                TG_TABLE_NAME, TG_OP, current_user
                USING ERRCODE = 'insufficient_privilege';
        END IF;"""


def _postgres_allowed(mutable: Sequence[str], rule: str) -> str:
    parts: list[str] = []
    if mutable:
        minus = "".join(f" - '{column}'" for column in mutable)
        parts.append(f"(to_jsonb(NEW){minus}) = (to_jsonb(OLD){minus})")
    if rule:
        parts.append(f"({rule})")
    return " AND ".join(parts) or "false"


def postgres_sql(table: str, *, mutable: Sequence[str] = (), rule: str = "") -> list[str]:
    allowed = _postgres_allowed(mutable, rule)
    return [
        f"""
CREATE OR REPLACE FUNCTION {table}_refuse_change() RETURNS trigger AS $$
BEGIN
    IF coalesce(current_setting('sprechzeit.ledger_maintenance', true), '') = 'on' THEN{_OWNER_ONLY}
        RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
    END IF;
    IF TG_OP = 'UPDATE' THEN
        IF {allowed} THEN
            RETURN NEW;
        END IF;
    END IF;
    RAISE EXCEPTION '{table} is insert-only: % refused', TG_OP
        USING ERRCODE = 'restrict_violation';
END;
$$ LANGUAGE plpgsql
""",
        f"""
CREATE TRIGGER {table}_insert_only
    BEFORE UPDATE OR DELETE ON {table}
    FOR EACH ROW EXECUTE FUNCTION {table}_refuse_change()
""",
        f"""
CREATE TRIGGER {table}_insert_only_truncate
    BEFORE TRUNCATE ON {table}
    FOR EACH STATEMENT EXECUTE FUNCTION {table}_refuse_change()
""",
    ]


def sqlite_sql(
    table: str, *, columns: Sequence[str], mutable: Sequence[str] = (), rule: str = ""
) -> list[str]:
    parts: list[str] = []
    if mutable:
        frozen = [column for column in columns if column not in mutable]
        parts.extend(f"NEW.{column} IS OLD.{column}" for column in frozen)
    if rule:
        parts.append(f"({rule})")
    allowed = " AND ".join(parts) or "0"
    return [
        f"""
    CREATE TRIGGER {table}_insert_only_update BEFORE UPDATE ON {table}
    WHEN NOT sprechzeit_ledger_maintenance() AND NOT ({allowed})
    BEGIN SELECT RAISE(ABORT, '{table} is insert-only: UPDATE refused'); END;
    """,
        f"""
    CREATE TRIGGER {table}_insert_only_delete BEFORE DELETE ON {table}
    WHEN NOT sprechzeit_ledger_maintenance()
    BEGIN SELECT RAISE(ABORT, '{table} is insert-only: DELETE refused'); END;
    """,
    ]


def _columns(schema_editor: Any, table: str) -> list[str]:
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        return [
            column.name for column in connection.introspection.get_table_description(cursor, table)
        ]


def insert_only_operations(
    table: str, *, mutable: Sequence[str] = (), rule: str = ""
) -> list[migrations.RunPython]:
    """The migration operations that make `table` insert-only (see the module doc)."""
    if not mutable and not rule:
        return [insert_only_operation(table)]

    def forward(apps: Any, schema_editor: Any) -> None:
        vendor = schema_editor.connection.vendor
        if vendor == "postgresql":
            statements = postgres_sql(table, mutable=mutable, rule=rule)
        elif vendor == "sqlite":
            columns = _columns(schema_editor, table)
            statements = sqlite_sql(table, columns=columns, mutable=mutable, rule=rule)
        else:  # pragma: no cover
            raise NotImplementedError(f"No insert-only triggers for {vendor}.")
        for statement in statements:
            schema_editor.execute(statement, params=None)

    def backward(apps: Any, schema_editor: Any) -> None:
        if schema_editor.connection.vendor == "postgresql":
            statements = [
                f"DROP TRIGGER IF EXISTS {table}_insert_only_truncate ON {table}",
                f"DROP TRIGGER IF EXISTS {table}_insert_only ON {table}",
                f"DROP FUNCTION IF EXISTS {table}_refuse_change()",
            ]
        else:
            statements = [
                f"DROP TRIGGER IF EXISTS {table}_insert_only_update;",
                f"DROP TRIGGER IF EXISTS {table}_insert_only_delete;",
            ]
        for statement in statements:
            schema_editor.execute(statement, params=None)

    return [migrations.RunPython(forward, backward)]
