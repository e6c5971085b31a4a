from django.apps import AppConfig


class WalletsConfig(AppConfig):
    name = "sprechzeit.wallets"
    label = "wallets"
