from __future__ import annotations

from django.urls import path

from sprechzeit.statements import views

app_name = "statements"

urlpatterns = [
    path("partner/gutschriften/", views.statement_list, name="list"),
    path("partner/steuerdaten/", views.tax_profile_edit, name="tax_profile"),
    # before the download, whose <kind> would match "widerspruch"
    path(
        "partner/gutschriften/<int:pk>/widerspruch/",
        views.statement_objection,
        name="objection",
    ),
    path(
        "partner/gutschriften/<int:pk>/<str:kind>/",
        views.statement_download,
        name="download",
    ),
    path(
        "verwaltung/gutschriften/<int:pk>/<str:kind>/",
        views.staff_download,
        name="staff_download",
    ),
]
