"""URL routes of the payments app, mounted at the site root by config/urls.py."""

from django.urls import URLPattern, URLResolver, path

from sprechzeit.payments import method_views, views

app_name = "payments"

urlpatterns: list[URLPattern | URLResolver] = [
    path("guthaben/", views.wallet_page, name="wallet"),
    path("guthaben/aufladen/", views.topup_page, name="topup"),
    path("guthaben/zahlung/<uuid:payment_id>/", views.result_page, name="result"),
    path("guthaben/zahlung/<uuid:payment_id>/beleg.pdf", views.receipt_download, name="receipt"),
    path("guthaben/limit/", views.deposit_limit, name="deposit_limit"),
    path("guthaben/selbstsperre/", views.self_exclude, name="self_exclude"),
    path("guthaben/erstattung/", views.refund_request, name="refund_request"),
    path("guthaben/zahlungsmittel/", method_views.methods_page, name="methods"),
    path("guthaben/zahlungsmittel/neu/", method_views.method_add, name="method_add"),
    path(
        "guthaben/zahlungsmittel/fertig/<uuid:setup_id>/",
        method_views.method_done,
        name="method_done",
    ),
    path(
        "guthaben/zahlungsmittel/<int:method_id>/aufladen/",
        method_views.method_charge,
        name="method_charge",
    ),
    path(
        "guthaben/zahlungsmittel/<int:method_id>/loeschen/",
        method_views.method_delete,
        name="method_delete",
    ),
    path("guthaben/automatisch/", method_views.auto_topup, name="auto_topup"),
    path("testkasse/<uuid:payment_id>/", views.sandbox_checkout, name="sandbox_checkout"),
    path("testkasse/karte/<uuid:setup_id>/", views.sandbox_card, name="sandbox_card"),
    path("hooks/payments/<int:config_id>/", views.webhook, name="webhook"),
]
