from django.urls import path

from sprechzeit.site import views

app_name = "site"

urlpatterns = [
    path("", views.home, name="home"),
    path("berater/<slug:slug>/", views.listing_detail, name="listing"),
    path("impressum/", views.impressum, name="impressum"),
    path("anmelden/", views.login_view, name="login"),
    path("abmelden/", views.logout_view, name="logout"),
    path("registrieren/", views.signup, name="signup"),
]
