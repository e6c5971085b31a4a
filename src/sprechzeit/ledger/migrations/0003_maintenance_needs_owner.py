"""The maintenance switch opens the insert-only triggers only for the table's owner.

Before, any role that could run `SET sprechzeit.ledger_maintenance = 'on'` (every role:
custom settings need no privilege) switched the triggers off for itself, so the
application's role could rewrite a transfer. Now the switch counts only when the current
role is a member of the role that owns the table (`pg_has_role … 'MEMBER'`; superusers
are members of every role): the owner/migration role, which could drop the trigger
anyway. The application's role owns nothing (docs/security.md, "Database roles"), so the
switch refuses it with `insufficient_privilege`. SQLite keeps its triggers as they are.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from django.db import migrations

_previous = import_module("sprechzeit.ledger.migrations.0002_transfers_insert_only")

SWITCH = "    IF coalesce(current_setting('sprechzeit.ledger_maintenance', true), '') = 'on' THEN\n"
OWNER_ONLY = """    IF coalesce(current_setting('sprechzeit.ledger_maintenance', true), '') = 'on' THEN
        IF NOT pg_has_role(
            current_user, (SELECT relowner FROM pg_class WHERE oid = TG_RELID), 'MEMBER'
        ) THEN
            RAISE EXCEPTION 'maintenance of % needs its owner''s role; % by % refused',
                TG_TABLE_NAME, TG_OP, current_user
                USING ERRCODE = 'insufficient_privilege';
        END IF;
"""


def owner_only(function_sql: str) -> str:
    """The trigger function with the owner check inside the maintenance branch."""
    if function_sql.count(SWITCH) != 1:  # pragma: no cover - guards the frozen text above
        raise ValueError("the maintenance switch was not found exactly once")
    return function_sql.replace(SWITCH, OWNER_ONLY)


def forward(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(owner_only(_previous.POSTGRES_FORWARD[0]), params=None)


def backward(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(_previous.POSTGRES_FORWARD[0], params=None)


class Migration(migrations.Migration):
    dependencies = [("ledger", "0002_transfers_insert_only")]
    operations = [migrations.RunPython(forward, backward)]
