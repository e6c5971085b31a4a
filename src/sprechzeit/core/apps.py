from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "sprechzeit.core"
    label = "core"
