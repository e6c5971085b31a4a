"""The console's support area: contact messages, reported ratings, client files and
goodwill credits (docs/backoffice.md, "Support")."""

from __future__ import annotations

from django.urls import URLPattern, path
from django.utils.translation import gettext_lazy as _

from sprechzeit.backoffice.nav import NavEntry
from sprechzeit.backoffice.support import clients, views

urlpatterns: list[URLPattern] = [
    path("support/nachrichten/", views.messages_queue, name="support_messages"),
    path("support/nachrichten/<int:pk>/", views.message_detail, name="support_message"),
    path("support/bewertungen/", views.ratings_queue, name="support_ratings"),
    path("support/bewertungen/<int:pk>/", views.rating_detail, name="support_rating"),
    path("support/kunden/", clients.clients_search, name="support_clients"),
    path("support/kunden/<int:pk>/", clients.client_detail, name="support_client"),
    path("support/kunden/<int:pk>/aktion/", clients.client_action, name="support_client_action"),
    path(
        "support/kunden/<int:pk>/entsperren/", clients.client_unblock, name="support_client_unblock"
    ),
    path("support/kunden/<int:pk>/schliessen/", clients.client_close, name="support_client_close"),
    path(
        "support/kunden/<int:pk>/beratung/<uuid:consultation_id>/chat/",
        clients.client_transcript,
        name="support_client_transcript",
    ),
    path("support/kulanz/", clients.goodwill_queue, name="support_goodwill"),
    path("support/kulanz/<uuid:pk>/", clients.goodwill_decide, name="support_goodwill_decide"),
]

NAV: list[NavEntry] = [
    NavEntry(_("Kontaktanfragen"), "support_messages", _("Support")),
    NavEntry(_("Gemeldete Bewertungen"), "support_ratings", _("Support")),
    NavEntry(_("Kunden suchen"), "support_clients", _("Support")),
    NavEntry(_("Kulanzgutschriften"), "support_goodwill", _("Support")),
]
