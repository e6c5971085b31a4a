from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "sprechzeit.api"
    label = "api"
