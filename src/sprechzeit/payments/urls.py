"""URL routes of the payments app, mounted at the site root by config/urls.py."""

from django.urls import URLPattern, URLResolver

app_name = "payments"

urlpatterns: list[URLPattern | URLResolver] = []
