from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from sprechzeit.ledger.guard import insert_only_register


class AccountingConfig(AppConfig):
    name = "sprechzeit.accounting"
    label = "accounting"
    verbose_name = _("Buchhaltung")

    def ready(self) -> None:
        # GoBD: these tables are insert-only (migrations); `ledger check` wants the triggers.
        insert_only_register("accounting_clientinvoice")
        insert_only_register("accounting_clientinvoicecounter")
