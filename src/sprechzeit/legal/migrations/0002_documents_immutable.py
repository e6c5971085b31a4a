"""The database refuses to UPDATE an issued legal document: a consent must keep pointing
at the exact text that was shown. A new text is a new version (a new row). DELETE stays
possible (flush of a test or demo database); the foreign keys of consents PROTECT the
rows that matter, and the admin offers no delete.

A later migration that makes Django rebuild `legal_legaldocument` on SQLite drops the
trigger: such a migration must create it again.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations

POSTGRES_FORWARD = [
    """
CREATE OR REPLACE FUNCTION legal_legaldocument_refuse_update() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'legal_legaldocument versions are immutable: UPDATE refused'
        USING ERRCODE = 'restrict_violation';
END;
$$ LANGUAGE plpgsql
""",
    """
CREATE TRIGGER legal_legaldocument_immutable
    BEFORE UPDATE ON legal_legaldocument
    FOR EACH ROW EXECUTE FUNCTION legal_legaldocument_refuse_update()
""",
]
POSTGRES_BACKWARD = [
    "DROP TRIGGER IF EXISTS legal_legaldocument_immutable ON legal_legaldocument",
    "DROP FUNCTION IF EXISTS legal_legaldocument_refuse_update()",
]
SQLITE_FORWARD = [
    """
    CREATE TRIGGER legal_legaldocument_immutable BEFORE UPDATE ON legal_legaldocument
    BEGIN SELECT RAISE(ABORT, 'legal_legaldocument versions are immutable: UPDATE refused'); END;
    """,
]
SQLITE_BACKWARD = ["DROP TRIGGER IF EXISTS legal_legaldocument_immutable;"]


def forward(apps: Any, schema_editor: Any) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        statements = POSTGRES_FORWARD
    elif vendor == "sqlite":
        statements = SQLITE_FORWARD
    else:
        raise NotImplementedError(f"No immutability trigger for {vendor}.")
    for statement in statements:
        schema_editor.execute(statement, params=None)


def backward(apps: Any, schema_editor: Any) -> None:
    vendor = schema_editor.connection.vendor
    statements = POSTGRES_BACKWARD if vendor == "postgresql" else SQLITE_BACKWARD
    for statement in statements:
        schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [("legal", "0001_initial")]

    operations = [migrations.RunPython(forward, backward, elidable=False)]
