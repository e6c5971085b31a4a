"""The console's dashboard (its home page) and the CSV export of each figure."""

from __future__ import annotations

from django.urls import URLPattern, path
from django.utils.translation import gettext_lazy as _

from sprechzeit.backoffice.dashboard import views
from sprechzeit.backoffice.nav import NavEntry

urlpatterns: list[URLPattern] = [
    path("", views.dashboard, name="home"),
    path("kennzahlen.csv", views.dashboard_csv, name="dashboard_csv"),
]

NAV: list[NavEntry] = [NavEntry(_("Übersicht"), "home", "")]
