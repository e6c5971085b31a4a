from django.urls import path

from sprechzeit.partner import onboarding, ratings, views

app_name = "partner"

urlpatterns = [
    path("partner/", views.dashboard, name="dashboard"),
    path("partner/erreichbarkeit/", views.availability, name="availability"),
    path("partner/profile/<int:listing_id>/", views.listing_edit, name="listing_edit"),
    path("partner/bewertungen/", ratings.ratings, name="ratings"),
    path("partner/einrichtung/", onboarding.onboarding, name="onboarding"),
]
