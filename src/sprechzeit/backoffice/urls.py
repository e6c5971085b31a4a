"""The staff console on the network's hosts, under /backoffice/ (namespace `backoffice`).

Each area (`dashboard`, `risk`, `support`, `partners`) brings its own `urlpatterns` and
menu entries (`NAV`); who may open which page is the access table's (accounts.access)."""

from __future__ import annotations

from django.urls import URLPattern, path

from sprechzeit.backoffice import views
from sprechzeit.backoffice.books import urls as books
from sprechzeit.backoffice.dashboard import urls as dashboard
from sprechzeit.backoffice.nav import NavEntry
from sprechzeit.backoffice.partners import urls as partners
from sprechzeit.backoffice.risk import urls as risk
from sprechzeit.backoffice.support import urls as support

app_name = "backoffice"

urlpatterns: list[URLPattern] = [
    path("protokoll/", views.audit_list, name="audit"),
    path("protokoll.csv", views.audit_csv, name="audit_csv"),
    *dashboard.urlpatterns,
    *risk.urlpatterns,
    *support.urlpatterns,
    *partners.urlpatterns,
    *books.urlpatterns,
]

NAV: list[NavEntry] = [
    *dashboard.NAV,
    *risk.NAV,
    *support.NAV,
    *partners.NAV,
    *books.NAV,
    *views.NAV,
]
