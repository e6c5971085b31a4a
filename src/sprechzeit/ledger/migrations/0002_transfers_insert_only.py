"""The database refuses UPDATE and DELETE of transfers (and TRUNCATE on PostgreSQL).

Corrections are new transfers. The only way past the triggers is the maintenance switch
of `sprechzeit.ledger.guard`, used by `flush` alone. A later migration that makes
Django rebuild `ledger_transfer` on SQLite (it copies the table) drops these triggers:
such a migration must create them again; `sprechzeit ledger check` reports them missing.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations

POSTGRES_FORWARD = [
    """
CREATE OR REPLACE FUNCTION ledger_transfer_refuse_change() RETURNS trigger AS $$
BEGIN
    IF coalesce(current_setting('sprechzeit.ledger_maintenance', true), '') = 'on' THEN
        RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
    END IF;
    RAISE EXCEPTION 'ledger_transfer is insert-only: % refused', TG_OP
        USING ERRCODE = 'restrict_violation';
END;
$$ LANGUAGE plpgsql
""",
    """
CREATE TRIGGER ledger_transfer_insert_only
    BEFORE UPDATE OR DELETE ON ledger_transfer
    FOR EACH ROW EXECUTE FUNCTION ledger_transfer_refuse_change()
""",
    """
CREATE TRIGGER ledger_transfer_no_truncate
    BEFORE TRUNCATE ON ledger_transfer
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_transfer_refuse_change()
""",
]
POSTGRES_BACKWARD = [
    "DROP TRIGGER IF EXISTS ledger_transfer_no_truncate ON ledger_transfer",
    "DROP TRIGGER IF EXISTS ledger_transfer_insert_only ON ledger_transfer",
    "DROP FUNCTION IF EXISTS ledger_transfer_refuse_change()",
]
SQLITE_FORWARD = [
    """
    CREATE TRIGGER ledger_transfer_no_update BEFORE UPDATE ON ledger_transfer
    WHEN NOT sprechzeit_ledger_maintenance()
    BEGIN SELECT RAISE(ABORT, 'ledger_transfer is insert-only: UPDATE refused'); END;
    """,
    """
    CREATE TRIGGER ledger_transfer_no_delete BEFORE DELETE ON ledger_transfer
    WHEN NOT sprechzeit_ledger_maintenance()
    BEGIN SELECT RAISE(ABORT, 'ledger_transfer is insert-only: DELETE refused'); END;
    """,
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS ledger_transfer_no_update;",
    "DROP TRIGGER IF EXISTS ledger_transfer_no_delete;",
]


def forward(apps: Any, schema_editor: Any) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        statements = POSTGRES_FORWARD
    elif vendor == "sqlite":
        statements = SQLITE_FORWARD
    else:
        raise NotImplementedError(f"No insert-only triggers for {vendor}.")
    for statement in statements:
        schema_editor.execute(statement, params=None)


def backward(apps: Any, schema_editor: Any) -> None:
    vendor = schema_editor.connection.vendor
    statements = POSTGRES_BACKWARD if vendor == "postgresql" else SQLITE_BACKWARD
    for statement in statements:
        schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [("ledger", "0001_initial")]
    operations = [migrations.RunPython(forward, backward)]
