from django.urls import path

from sprechzeit.site import (
    account_views,
    auth_views,
    debt_views,
    legal_views,
    partner_views,
    rating_views,
    security_views,
    views,
)

app_name = "site"

urlpatterns = [
    path("", views.home, name="home"),
    path("berater/", views.directory, name="directory"),
    path("berater/<slug:slug>/", views.listing_detail, name="listing"),
    path("berater/<slug:slug>/status/", views.listing_status, name="listing_status"),
    path("berater/<slug:slug>/melden/", rating_views.rating_report_view, name="rating_report"),
    path("impressum/", views.impressum, name="impressum"),
    path("agb/", legal_views.terms, name="terms"),
    path("datenschutz/", legal_views.privacy, name="privacy"),
    path("widerruf/", legal_views.withdrawal, name="withdrawal"),
    path("kontakt/", views.contact, name="contact"),
    path("kontakt/danke/", views.contact_done, name="contact_done"),
    path("berater-werden/", partner_views.apply, name="partner_apply"),
    path("berater-werden/danke/", partner_views.apply_done, name="partner_apply_done"),
    path(
        "berater-werden/einladung/<str:token>/",
        partner_views.invitation,
        name="partner_invitation",
    ),
    path("anmelden/", auth_views.login_view, name="login"),
    path("anmelden/code/", auth_views.login_2fa, name="login_2fa"),
    path("abmelden/", views.logout_view, name="logout"),
    path(
        "sicherheit/wiederherstellungscodes/",
        security_views.recovery_codes,
        name="recovery_codes",
    ),
    path(
        "verwaltung/einladung/<str:token>/",
        security_views.staff_invitation,
        name="staff_invitation",
    ),
    path("konto/", account_views.account_page, name="account"),
    path("guthaben/offen/", debt_views.debt_page, name="debt"),
    path("guthaben/offen/ratenplan/", debt_views.debt_plan_answer, name="debt_plan"),
    path("konto/pin/", account_views.account_pin, name="account_pin"),
    path("konto/daten/", account_views.account_export, name="account_export"),
    path("konto/schliessen/", account_views.account_close, name="account_close"),
    path("registrieren/", views.signup, name="signup"),
    path("bestaetigen/<str:token>/", auth_views.verify_email, name="verify_email"),
    path("passwort/vergessen/", auth_views.PasswordResetView.as_view(), name="password_reset"),
    path("passwort/gesendet/", auth_views.password_reset_done, name="password_reset_done"),
    path(
        "passwort/neu/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path("passwort/geaendert/", auth_views.password_reset_complete, name="password_reset_complete"),
]
