"""URL routes of the statements app, mounted at the site root by config/urls.py."""

from django.urls import URLPattern, URLResolver

app_name = "statements"

urlpatterns: list[URLPattern | URLResolver] = []
