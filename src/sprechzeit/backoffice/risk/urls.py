"""The console's risk area: its pages and its menu entries."""

from __future__ import annotations

from django.urls import URLPattern, path
from django.utils.translation import gettext_lazy as _

from sprechzeit.backoffice.nav import NavEntry
from sprechzeit.backoffice.risk import common, dunning, refunds, unmatched, views

urlpatterns: list[URLPattern] = [
    path("risiko/rueckbuchungen/", views.disputes_queue, name="risk_disputes"),
    path("risiko/rueckbuchungen/<int:dispute_id>/", views.dispute_detail, name="risk_dispute"),
    path(
        "risiko/rueckbuchungen/<int:dispute_id>/notiz/",
        views.dispute_note,
        name="risk_dispute_note",
    ),
    path(
        "risiko/rueckbuchungen/<int:dispute_id>/beleg/",
        views.dispute_evidence,
        name="risk_dispute_evidence",
    ),
    path(
        "risiko/rueckbuchungen/<int:dispute_id>/entscheidung/",
        views.dispute_outcome,
        name="risk_dispute_outcome",
    ),
    path("risiko/belege/<int:evidence_id>/", views.evidence_file, name="risk_evidence_file"),
    path("risiko/erstattungen/", refunds.refunds_queue, name="risk_refunds"),
    path("risiko/erstattungen/<int:request_id>/", refunds.refund_detail, name="risk_refund"),
    path(
        "risiko/erstattungen/<int:request_id>/freigeben/",
        refunds.refund_approve,
        name="risk_refund_approve",
    ),
    path(
        "risiko/erstattungen/<int:request_id>/ablehnen/",
        refunds.refund_reject,
        name="risk_refund_reject",
    ),
    path("risiko/ungeklaert/", unmatched.unmatched_queue, name="risk_unmatched"),
    path(
        "risiko/ungeklaert/umsatz/<int:entry_id>/zuordnen/",
        unmatched.entry_assign,
        name="risk_entry_assign",
    ),
    path(
        "risiko/ungeklaert/umsatz/<int:entry_id>/ignorieren/",
        unmatched.entry_ignore,
        name="risk_entry_ignore",
    ),
    path(
        "risiko/ungeklaert/meldung/<int:entry_id>/erneut/",
        unmatched.inbox_retry,
        name="risk_inbox_retry",
    ),
    path("risiko/mahnwesen/", dunning.dunning_queue, name="risk_dunning"),
    path("risiko/mahnwesen/<int:case_id>/", dunning.case_detail, name="risk_case"),
    path(
        "risiko/mahnwesen/<int:case_id>/raten/",
        dunning.case_instalments,
        name="risk_case_instalments",
    ),
    path(
        "risiko/mahnwesen/<int:case_id>/abschreiben/",
        dunning.case_write_off,
        name="risk_case_write_off",
    ),
    path("risiko/zustaendig/<str:kind>/<int:pk>/", common.claim, name="risk_claim"),
]

NAV: list[NavEntry] = [
    NavEntry(_("Rückbuchungen"), "risk_disputes", _("Risiko")),
    NavEntry(_("Erstattungen"), "risk_refunds", _("Risiko")),
    NavEntry(_("Ungeklärte Zahlungen"), "risk_unmatched", _("Risiko")),
    NavEntry(_("Mahnwesen und Raten"), "risk_dunning", _("Risiko")),
]
