"""URL routes of the payments app, mounted at the site root by config/urls.py."""

from django.urls import URLPattern, URLResolver, path

from sprechzeit.payments import views

app_name = "payments"

urlpatterns: list[URLPattern | URLResolver] = [
    path("guthaben/", views.wallet_page, name="wallet"),
    path("guthaben/aufladen/", views.topup_page, name="topup"),
    path("guthaben/zahlung/<uuid:payment_id>/", views.result_page, name="result"),
    path("guthaben/zahlung/<uuid:payment_id>/beleg.pdf", views.receipt_download, name="receipt"),
    path("guthaben/limit/", views.deposit_limit, name="deposit_limit"),
    path("guthaben/selbstsperre/", views.self_exclude, name="self_exclude"),
    path("guthaben/erstattung/", views.refund_request, name="refund_request"),
    path("testkasse/<uuid:payment_id>/", views.sandbox_checkout, name="sandbox_checkout"),
    path("hooks/payments/<int:config_id>/", views.webhook, name="webhook"),
]
