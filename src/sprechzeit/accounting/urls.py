from __future__ import annotations

from django.urls import path

from sprechzeit.accounting import views

app_name = "accounting"

urlpatterns = [
    path("konto/rechnungsdaten/", views.client_billing, name="client_billing"),
    path("konto/rechnungen/<int:pk>/xml/", views.client_invoice_xml, name="client_invoice"),
    path(
        "konto/rechnungen/<int:pk>/pdf/",
        views.client_invoice_pdf_download,
        name="client_invoice_pdf",
    ),
]
