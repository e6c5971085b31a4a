from django.apps import AppConfig


class LedgerConfig(AppConfig):
    name = "sprechzeit.ledger"
    label = "ledger"
    verbose_name = "Ledger"
