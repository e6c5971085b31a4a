"""`flush` with the ledger's insert-only triggers switched off for the wipe.

Django's test runner flushes the database after every transactional test; flushing
wipes every table whole, which is the one deletion the ledger allows.
"""

from __future__ import annotations

from typing import Any

from django.core.management.commands import flush

from sprechzeit.ledger.guard import ledger_maintenance


class Command(flush.Command):
    def handle(self, **options: Any) -> None:
        with ledger_maintenance(options.get("database") or "default"):
            super().handle(**options)
