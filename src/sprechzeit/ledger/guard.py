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

from django.db import connections

# Insert-only triggers for any table (migrations): see `sprechzeit.ledger.insert_only`.
from sprechzeit.ledger.insert_only import insert_only_operations

__all__ = ["insert_only_operations", "ledger_maintenance", "register_sqlite_guard"]

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
