"""The XRechnung flavour archived at issue (`xrechnung`, its hash), frozen like `xml`.

PostgreSQL's trigger compares whole rows (minus status and PDF), so it covers the new
columns as they are; SQLite's names its columns and is rebuilt with these two added.
"""

from __future__ import annotations

import importlib
from typing import Any

from django.db import migrations, models

immutable = importlib.import_module(
    "sprechzeit.statements.migrations.0002_issued_documents_immutable"
)

ARCHIVED = ["xrechnung", "xrechnung_sha256"]


def _update_trigger(columns: list[str]) -> str:
    changed = " OR ".join(f"NEW.{column} IS NOT OLD.{column}" for column in columns)
    return f"""
    CREATE TRIGGER statements_statement_no_update BEFORE UPDATE ON statements_statement
    WHEN OLD.status IN ('issued', 'cancelled') AND NOT sprechzeit_ledger_maintenance() AND (
        {changed}
        OR NOT (NEW.status = OLD.status OR (OLD.status = 'issued' AND NEW.status = 'cancelled'))
        OR (OLD.pdf IS NOT NULL AND (NEW.pdf IS NOT OLD.pdf OR NEW.pdf_sha256 IS NOT OLD.pdf_sha256))
    )
    BEGIN SELECT RAISE(ABORT, 'statement is issued: UPDATE refused'); END;
    """


def _triggers(columns: list[str]) -> list[str]:
    return [_update_trigger(columns), *immutable.SQLITE_FORWARD[1:]]


def _sqlite(schema_editor: Any, statements: list[str]) -> None:
    if schema_editor.connection.vendor == "sqlite":
        for statement in statements:
            schema_editor.execute(statement, params=None)


# SQLite rebuilds the table to add a column; its triggers name the table, so they are
# dropped first and created again afterwards (with the new columns frozen).
def drop(apps: Any, schema_editor: Any) -> None:
    _sqlite(schema_editor, immutable.SQLITE_BACKWARD)


def create_with_archive(apps: Any, schema_editor: Any) -> None:
    _sqlite(schema_editor, _triggers([*immutable.FROZEN, *ARCHIVED]))


def create_without_archive(apps: Any, schema_editor: Any) -> None:
    _sqlite(schema_editor, _triggers(list(immutable.FROZEN)))


class Migration(migrations.Migration):
    dependencies = [("statements", "0007_statement_download_permission")]

    operations = [
        migrations.RunPython(drop, create_without_archive),
        migrations.AddField(
            model_name="statement",
            name="xrechnung",
            field=models.BinaryField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="statement",
            name="xrechnung_sha256",
            field=models.CharField(blank=True, max_length=64),
        ),
        migrations.RunPython(create_with_archive, drop),
    ]
