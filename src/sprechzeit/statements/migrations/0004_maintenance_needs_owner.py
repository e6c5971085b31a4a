"""Issued documents: the maintenance switch opens the GoBD triggers only for the owner.

As in ledger 0003: `sprechzeit.ledger_maintenance = 'on'` counts only when the current
role is a member of the role that owns the table (superusers are members of every role),
so the application's role can no longer rewrite an issued credit note (amounts, XML,
hash) or its sections by switching it on. SQLite keeps its triggers as they are.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from django.db import migrations

_previous = import_module("sprechzeit.statements.migrations.0002_issued_documents_immutable")
_ledger = import_module("sprechzeit.ledger.migrations.0003_maintenance_needs_owner")

# The two trigger functions (statement, section); the other statements create triggers.
FUNCTIONS = [_previous.POSTGRES_FORWARD[0], _previous.POSTGRES_FORWARD[2]]


def forward(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        for function_sql in FUNCTIONS:
            schema_editor.execute(_ledger.owner_only(function_sql), params=None)


def backward(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        for function_sql in FUNCTIONS:
            schema_editor.execute(function_sql, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("statements", "0003_period_cadence"),
        ("ledger", "0003_maintenance_needs_owner"),
    ]
    operations = [migrations.RunPython(forward, backward)]
