"""URL routes of the consultations app, mounted at the site root by config/urls.py."""

from django.urls import URLPattern, URLResolver, path

from sprechzeit.consultations import favourite_views, views
from sprechzeit.consultations.telephony.views import voice_webhook

app_name = "consultations"

urlpatterns: list[URLPattern | URLResolver] = [
    path("hooks/voice/<uuid:config_id>/<str:step>/", voice_webhook, name="voice"),
    path("beratung/starten/<slug:slug>/", views.consultation_start, name="start"),
    path("beratung/<uuid:consultation_id>/", views.consultation_room, name="room"),
    path("beratung/<uuid:consultation_id>/bewerten/", views.rating_submit, name="rate"),
    path("beratungen/", views.records_client, name="records"),
    path("beratungen.csv", views.records_client_csv, name="records_csv"),
    path("beratungen/verbrauch/", views.consumption_client, name="consumption"),
    path("berater/anfragen/", views.partner_requests, name="partner_requests"),
    path("berater/status/", views.partner_presence, name="partner_presence"),
    path("berater/abrechnung/", views.records_partner, name="partner_records"),
    path("berater/abrechnung.csv", views.records_partner_csv, name="partner_records_csv"),
    path("favoriten/", favourite_views.favourites_page, name="favourites"),
    path(
        "berater/<slug:slug>/merken/",
        favourite_views.favourite_toggle_view,
        name="favourite_toggle",
    ),
    path(
        "berater/<slug:slug>/online-melden/",
        favourite_views.online_alert_view,
        name="online_alert",
    ),
    path("verfuegbarkeit/", views.availability, name="availability"),
]
