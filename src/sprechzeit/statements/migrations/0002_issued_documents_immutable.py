"""The database refuses to change an issued document (GoBD: no change may hide the
original content).

An issued or cancelled statement may change in two ways only: issued → cancelled (a 384
now refers to it), and its PDF may be stored once (NULL → bytes, with its hash). Every
other UPDATE and every DELETE is refused, and so is any change to the sections of such a
statement. The one way past is the ledger's maintenance switch (`flush` only, for wiping
a test or demo database whole; `sprechzeit.ledger.guard`).
"""

from __future__ import annotations

from typing import Any

from django.db import migrations

FROZEN = [
    "partner_id",
    "legal_entity_id",
    "run_id",
    "kind",
    "period_start",
    "period_end",
    "currency",
    "cancels_id",
    "held_reason",
    "number",
    "number_year",
    "number_seq",
    "issue_date",
    "issued_at",
    "vat_status",
    "net_minor",
    "vat_minor",
    "gross_minor",
    "data",
    "xml",
    "xml_sha256",
    "created_at",
]

POSTGRES_FORWARD = [
    """
CREATE OR REPLACE FUNCTION statements_refuse_change() RETURNS trigger AS $$
BEGIN
    IF coalesce(current_setting('sprechzeit.ledger_maintenance', true), '') = 'on' THEN
        RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
    END IF;
    IF TG_OP = 'DELETE' THEN
        IF OLD.status IN ('issued', 'cancelled') THEN
            RAISE EXCEPTION 'statement % is issued: DELETE refused', OLD.number
                USING ERRCODE = 'restrict_violation';
        END IF;
        RETURN OLD;
    END IF;
    IF OLD.status IN ('issued', 'cancelled') AND (
        (to_jsonb(NEW) - 'status' - 'pdf' - 'pdf_sha256')
            IS DISTINCT FROM (to_jsonb(OLD) - 'status' - 'pdf' - 'pdf_sha256')
        OR NOT (NEW.status = OLD.status OR (OLD.status = 'issued' AND NEW.status = 'cancelled'))
        OR (OLD.pdf IS NOT NULL AND (NEW.pdf IS DISTINCT FROM OLD.pdf
                                     OR NEW.pdf_sha256 IS DISTINCT FROM OLD.pdf_sha256))
    ) THEN
        RAISE EXCEPTION 'statement % is issued: UPDATE refused', OLD.number
            USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql
""",
    """
CREATE TRIGGER statements_statement_immutable
    BEFORE UPDATE OR DELETE ON statements_statement
    FOR EACH ROW EXECUTE FUNCTION statements_refuse_change()
""",
    """
CREATE OR REPLACE FUNCTION statements_section_refuse_change() RETURNS trigger AS $$
DECLARE
    frozen boolean;
BEGIN
    IF coalesce(current_setting('sprechzeit.ledger_maintenance', true), '') = 'on' THEN
        RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
    END IF;
    SELECT status IN ('issued', 'cancelled') INTO frozen FROM statements_statement
        WHERE id = CASE WHEN TG_OP = 'INSERT' THEN NEW.statement_id ELSE OLD.statement_id END;
    IF frozen THEN
        RAISE EXCEPTION 'section of an issued statement: % refused', TG_OP
            USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END;
$$ LANGUAGE plpgsql
""",
    """
CREATE TRIGGER statements_section_immutable
    BEFORE INSERT OR UPDATE OR DELETE ON statements_statementsection
    FOR EACH ROW EXECUTE FUNCTION statements_section_refuse_change()
""",
]
POSTGRES_BACKWARD = [
    "DROP TRIGGER IF EXISTS statements_section_immutable ON statements_statementsection",
    "DROP FUNCTION IF EXISTS statements_section_refuse_change()",
    "DROP TRIGGER IF EXISTS statements_statement_immutable ON statements_statement",
    "DROP FUNCTION IF EXISTS statements_refuse_change()",
]

_changed = " OR ".join(f"NEW.{column} IS NOT OLD.{column}" for column in FROZEN)
_frozen_section = (
    "(SELECT status FROM statements_statement WHERE id = {row}.statement_id)"
    " IN ('issued', 'cancelled')"
)
SQLITE_FORWARD = [
    f"""
    CREATE TRIGGER statements_statement_no_update BEFORE UPDATE ON statements_statement
    WHEN OLD.status IN ('issued', 'cancelled') AND NOT sprechzeit_ledger_maintenance() AND (
        {_changed}
        OR NOT (NEW.status = OLD.status OR (OLD.status = 'issued' AND NEW.status = 'cancelled'))
        OR (OLD.pdf IS NOT NULL AND (NEW.pdf IS NOT OLD.pdf OR NEW.pdf_sha256 IS NOT OLD.pdf_sha256))
    )
    BEGIN SELECT RAISE(ABORT, 'statement is issued: UPDATE refused'); END;
    """,
    """
    CREATE TRIGGER statements_statement_no_delete BEFORE DELETE ON statements_statement
    WHEN OLD.status IN ('issued', 'cancelled') AND NOT sprechzeit_ledger_maintenance()
    BEGIN SELECT RAISE(ABORT, 'statement is issued: DELETE refused'); END;
    """,
    f"""
    CREATE TRIGGER statements_section_no_insert BEFORE INSERT ON statements_statementsection
    WHEN {_frozen_section.format(row="NEW")} AND NOT sprechzeit_ledger_maintenance()
    BEGIN SELECT RAISE(ABORT, 'section of an issued statement: INSERT refused'); END;
    """,
    f"""
    CREATE TRIGGER statements_section_no_update BEFORE UPDATE ON statements_statementsection
    WHEN {_frozen_section.format(row="OLD")} AND NOT sprechzeit_ledger_maintenance()
    BEGIN SELECT RAISE(ABORT, 'section of an issued statement: UPDATE refused'); END;
    """,
    f"""
    CREATE TRIGGER statements_section_no_delete BEFORE DELETE ON statements_statementsection
    WHEN {_frozen_section.format(row="OLD")} AND NOT sprechzeit_ledger_maintenance()
    BEGIN SELECT RAISE(ABORT, 'section of an issued statement: DELETE refused'); END;
    """,
]
SQLITE_BACKWARD = [
    f"DROP TRIGGER IF EXISTS {name};"
    for name in (
        "statements_statement_no_update",
        "statements_statement_no_delete",
        "statements_section_no_insert",
        "statements_section_no_update",
        "statements_section_no_delete",
    )
]


def forward(apps: Any, schema_editor: Any) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        statements = POSTGRES_FORWARD
    elif vendor == "sqlite":
        statements = SQLITE_FORWARD
    else:  # pragma: no cover
        raise NotImplementedError(f"No immutability triggers for {vendor}.")
    for statement in statements:
        schema_editor.execute(statement, params=None)


def backward(apps: Any, schema_editor: Any) -> None:
    vendor = schema_editor.connection.vendor
    for statement in POSTGRES_BACKWARD if vendor == "postgresql" else SQLITE_BACKWARD:
        schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [("statements", "0001_initial"), ("ledger", "0002_transfers_insert_only")]

    operations = [migrations.RunPython(forward, backward)]
