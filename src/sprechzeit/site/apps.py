from django.apps import AppConfig


class SiteConfig(AppConfig):
    name = "sprechzeit.site"
    label = "site"
