from django.apps import AppConfig


class StatementsConfig(AppConfig):
    name = "sprechzeit.statements"
    label = "statements"
