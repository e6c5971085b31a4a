from django.apps import AppConfig


class SupportConfig(AppConfig):
    name = "sprechzeit.support"
    label = "support"
