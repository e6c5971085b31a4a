"""The console's accounting area: the VAT return figures of a period and the DATEV
posting batch to download. Who may open it: accounts.access (accounting, admin)."""

from __future__ import annotations

from django.urls import URLPattern, path
from django.utils.translation import gettext_lazy as _

from sprechzeit.backoffice.books import views
from sprechzeit.backoffice.nav import NavEntry

urlpatterns: list[URLPattern] = [
    path("buchhaltung/", views.books, name="books"),
    path("buchhaltung/datev/", views.datev_download, name="books_datev"),
]

NAV: list[NavEntry] = [NavEntry(_("DATEV und Umsatzsteuer"), "books", _("Buchhaltung"))]
