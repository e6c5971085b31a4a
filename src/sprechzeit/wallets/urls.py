"""URL routes of the wallets app, mounted at the site root by config/urls.py."""

from django.urls import URLPattern, URLResolver

app_name = "wallets"

urlpatterns: list[URLPattern | URLResolver] = []
