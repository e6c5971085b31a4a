"""URL routes of the consultations app, mounted at the site root by config/urls.py."""

from django.urls import URLPattern, URLResolver

app_name = "consultations"

urlpatterns: list[URLPattern | URLResolver] = []
