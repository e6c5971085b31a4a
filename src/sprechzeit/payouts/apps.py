from django.apps import AppConfig


class PayoutsConfig(AppConfig):
    name = "sprechzeit.payouts"
    label = "payouts"
