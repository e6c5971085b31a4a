"""The console's partners area: applications, listing reviews, the partner file with
adjustments and suspension, payout runs. Who may open what: accounts.access."""

from __future__ import annotations

from django.urls import URLPattern, path
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from sprechzeit.backoffice.nav import NavEntry
from sprechzeit.backoffice.partners import applications, file, listings, payouts

SECTION = pgettext_lazy("plural", "Berater")

urlpatterns: list[URLPattern] = [
    path("partner/bewerbungen/", applications.application_list, name="partners_applications"),
    path(
        "partner/bewerbungen/<int:pk>/",
        applications.application_detail,
        name="partners_application",
    ),
    path(
        "partner/bewerbungen/<int:pk>/annehmen/",
        applications.application_accept,
        name="partners_application_accept",
    ),
    path(
        "partner/bewerbungen/<int:pk>/ablehnen/",
        applications.application_reject,
        name="partners_application_reject",
    ),
    path(
        "partner/bewerbungen/<int:pk>/uebernehmen/",
        applications.application_claim,
        name="partners_application_claim",
    ),
    path("partner/profile/", listings.revision_list, name="partners_revisions"),
    path("partner/profile/<int:pk>/", listings.revision_detail, name="partners_revision"),
    path(
        "partner/profile/<int:pk>/freigeben/",
        listings.revision_approve,
        name="partners_revision_approve",
    ),
    path(
        "partner/profile/<int:pk>/ablehnen/",
        listings.revision_reject,
        name="partners_revision_reject",
    ),
    path(
        "partner/profile/<int:pk>/uebernehmen/",
        listings.revision_claim,
        name="partners_revision_claim",
    ),
    path("partner/berater/", file.partner_list, name="partners_partners"),
    path("partner/berater/<int:pk>/", file.partner_detail, name="partners_partner"),
    path(
        "partner/berater/<int:pk>/anpassung/",
        file.adjustment_create,
        name="partners_adjustment_create",
    ),
    path("partner/berater/<int:pk>/sperren/", file.partner_suspend, name="partners_suspend"),
    path(
        "partner/berater/<int:pk>/entsperren/",
        file.partner_reactivate,
        name="partners_reactivate",
    ),
    path(
        "partner/anpassungen/<int:pk>/freigeben/",
        file.adjustment_approve,
        name="partners_adjustment_approve",
    ),
    path(
        "partner/anpassungen/<int:pk>/ablehnen/",
        file.adjustment_reject,
        name="partners_adjustment_reject",
    ),
    path("partner/auszahlungen/", payouts.run_list, name="partners_payout_runs"),
    path("partner/auszahlungen/starten/", payouts.run_start, name="partners_payout_run_start"),
    path("partner/auszahlungen/<int:pk>/datei/", payouts.run_file, name="partners_payout_run_file"),
    path(
        "partner/auszahlungen/<int:pk>/uebergeben/",
        payouts.run_sent,
        name="partners_payout_run_sent",
    ),
]

NAV: list[NavEntry] = [
    NavEntry(_("Bewerbungen"), "partners_applications", SECTION),
    NavEntry(_("Profiländerungen"), "partners_revisions", SECTION),
    NavEntry(_("Beraterakten"), "partners_partners", SECTION),
    NavEntry(_("Auszahlungsläufe"), "partners_payout_runs", SECTION),
]
