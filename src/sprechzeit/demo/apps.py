from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "sprechzeit.demo"
    label = "demo"
