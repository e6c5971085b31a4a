"""URL routes of the payouts app, mounted at the site root by config/urls.py."""

from django.urls import URLPattern, URLResolver

app_name = "payouts"

urlpatterns: list[URLPattern | URLResolver] = []
