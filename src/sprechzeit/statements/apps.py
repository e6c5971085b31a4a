from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from sprechzeit.ledger.guard import insert_only_register


class StatementsConfig(AppConfig):
    name = "sprechzeit.statements"
    label = "statements"
    verbose_name = _("Gutschriften")

    def ready(self) -> None:
        # GoBD: these tables are insert-only (migrations); `ledger check` wants the triggers.
        insert_only_register("statements_adjustment")
        insert_only_register("statements_numbercounter")
        insert_only_register("statements_taxprofilechange")
        insert_only_register("statements_objection")
