from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from sprechzeit.ledger.guard import insert_only_register


class PayoutsConfig(AppConfig):
    name = "sprechzeit.payouts"
    label = "payouts"
    verbose_name = _("Auszahlungen")

    def ready(self) -> None:
        # GoBD: these tables are insert-only (migrations); `ledger check` wants the triggers.
        insert_only_register("payouts_payoutrun")
        insert_only_register("payouts_payout")
        insert_only_register("payouts_payout_statements")
        insert_only_register("payouts_bankline")
        # Credit notes state their payout outlook from our threshold and open amounts;
        # statements sit below us in the layers, so we hand them the selector.
        from sprechzeit.payouts.selectors import payout_terms  # noqa: PLC0415 (apps loaded)
        from sprechzeit.statements.payability import payout_terms_register  # noqa: PLC0415

        payout_terms_register(payout_terms)
