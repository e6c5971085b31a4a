from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.db.backends.signals import connection_created
from django.utils.translation import gettext_lazy as _

from sprechzeit.ledger.guard import register_sqlite_guard


def _on_connect(sender: Any, connection: Any, **kwargs: Any) -> None:
    register_sqlite_guard(connection)


class LedgerConfig(AppConfig):
    name = "sprechzeit.ledger"
    label = "ledger"
    verbose_name = _("Hauptbuch")

    def ready(self) -> None:
        # The SQLite side of the insert-only triggers needs its function on every connection.
        connection_created.connect(_on_connect, weak=False, dispatch_uid="ledger_sqlite_guard")
