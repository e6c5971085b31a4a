from django.apps import AppConfig


class PartnerConfig(AppConfig):
    name = "sprechzeit.partner"
    label = "partner"
