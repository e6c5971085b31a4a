from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "sprechzeit.payments"
    label = "payments"
