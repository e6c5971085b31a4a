from django.apps import AppConfig
from django.contrib.admin.apps import AdminConfig


class SiteConfig(AppConfig):
    name = "sprechzeit.site"
    label = "site"


class SprechzeitAdminConfig(AdminConfig):
    default_site = "sprechzeit.site.admin_site.SprechzeitAdminSite"
