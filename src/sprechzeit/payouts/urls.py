from __future__ import annotations

from django.urls import path

from sprechzeit.payouts import views

app_name = "payouts"

urlpatterns = [
    path("partner/auszahlungen/", views.payout_list, name="list"),
    path("verwaltung/auszahlungen/<int:pk>/datei/", views.staff_file, name="staff_file"),
]
