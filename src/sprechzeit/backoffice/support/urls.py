"""The console's support area: its pages and its menu entries."""

from __future__ import annotations

from django.urls import URLPattern

from sprechzeit.backoffice.nav import NavEntry

urlpatterns: list[URLPattern] = []

NAV: list[NavEntry] = []
