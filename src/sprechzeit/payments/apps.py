from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from sprechzeit.ledger.guard import insert_only_register


class PaymentsConfig(AppConfig):
    name = "sprechzeit.payments"
    label = "payments"
    verbose_name = _("Zahlungen")

    def ready(self) -> None:
        # GoBD: imported statements and entries are insert-only (migration 0006).
        insert_only_register("payments_bankstatement")
        insert_only_register("payments_bankentry")
