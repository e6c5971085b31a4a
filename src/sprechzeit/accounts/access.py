"""The one declared table of who may open which URL, on which host.

Every URL of the URLconf (by its view name: `namespace:name`, or the dotted path of an
unnamed view) and every WebSocket route has a `Rule` here: which actors may use it on a
platform's host and which on the network's own hosts (the back office). The admin's
model pages follow the staff roles' permissions (`accounts.roles`), so they need no line
of their own. `AccessMiddleware` and `WebSocketAccessMiddleware` (accounts.middleware)
refuse anything not allowed here, a URL missing from the table included (deny by
default); the views keep their own checks (whose object it is, a verified second factor).
The authorization matrix test requests every URL as every actor on every host against
this table, and docs/security.md's roles section is rendered from it.

A new URL goes in here, or it is refused everywhere.
"""

from __future__ import annotations

import re
from typing import Any, Final

from sprechzeit.accounts import roles
from sprechzeit.accounts.access_rules import (  # the table's vocabulary, re-exported
    CLIENT as CLIENT,
)
from sprechzeit.accounts.access_rules import (
    EVERYONE as EVERYONE,
)
from sprechzeit.accounts.access_rules import (
    PARTNER as PARTNER,
)
from sprechzeit.accounts.access_rules import (
    STAFF as STAFF,
)
from sprechzeit.accounts.access_rules import (
    SUPERUSER as SUPERUSER,
)
from sprechzeit.accounts.access_rules import (
    Actor as Actor,
)
from sprechzeit.accounts.access_rules import (
    Actors as Actors,
)
from sprechzeit.accounts.access_rules import (
    Host as Host,
)
from sprechzeit.accounts.access_rules import (
    Rule as Rule,
)
from sprechzeit.accounts.access_rules import (
    back_office as back_office,
)
from sprechzeit.accounts.access_rules import (
    clients as clients,
)
from sprechzeit.accounts.access_rules import (
    partners as partners,
)
from sprechzeit.accounts.access_rules import (
    public as public,
)

# The risk area of the console: its queues; the unmatched-payments queue is reconciling
# the bank account too (accounting).
# The admin role reads every queue but decides nothing there.
RISK_ONLY: Final[Actors] = frozenset({Actor.RISK})
RISK_READ: Final[Actors] = frozenset({Actor.RISK, Actor.ADMIN})
RISK_BOOKS: Final[Actors] = frozenset({Actor.RISK, Actor.ACCOUNTING})
RISK_BOOKS_READ: Final[Actors] = frozenset({Actor.RISK, Actor.ACCOUNTING, Actor.ADMIN})


def _holding(*perms: tuple[str, str]) -> Actors:
    """The staff roles holding any of `perms`, and the superuser."""
    return SUPERUSER | {
        Actor(role)
        for role, pairs in roles.ROLE_PERMISSIONS.items()
        if any(perm in pairs for perm in perms)
    }


# --- support: who works which part of the support desk (support.services checks again)
_SUPPORT_DESK: Final[Actors] = frozenset({Actor.SUPPORT, Actor.ADMIN})
_CLIENT_FILE_READERS: Final[Actors] = frozenset(
    {Actor.SUPPORT, Actor.RISK, Actor.ACCOUNTING, Actor.ADMIN}
)
_CLIENT_FILE_ACTORS: Final[Actors] = frozenset({Actor.SUPPORT, Actor.RISK, Actor.ADMIN})
_UNBLOCKERS: Final[Actors] = frozenset({Actor.RISK, Actor.ADMIN})

# The URLconf the table is about (a test's own URLconf is not checked against it).
URLCONF: Final = "sprechzeit.config.urls"

# --- the table ------------------------------------------------------------------------

URL_RULES: Final[dict[str, Rule]] = {
    # The site of a platform: open to everyone; the pages themselves show what fits.
    "site:home": public("Home page", network=True),
    "site:directory": public("Directory of partners"),
    "site:listing": public("A partner's profile"),
    "site:listing_status": public("A partner's availability"),
    "site:impressum": public("Legal notice"),
    "site:terms": public("Terms (AGB), current or an issued version"),
    "site:privacy": public("Privacy notice, current or an issued version"),
    "site:withdrawal": public("Withdrawal notice, current or an issued version"),
    "site:contact": public("Contact form"),
    "site:contact_done": public("Contact form sent"),
    "site:signup": public("Sign-up (clients)"),
    "site:verify_email": public("Confirm the e-mail address (signed link)"),
    "site:login": public("Log-in", network=True),
    "site:login_2fa": public("Log-in: second factor", network=True),
    "site:logout": public("Log-out", network=True),
    "site:password_reset": public("Password forgotten", network=True),
    "site:password_reset_done": public("Password forgotten: sent", network=True),
    "site:password_reset_confirm": public("New password (signed link)", network=True),
    "site:password_reset_complete": public("Password changed", network=True),
    "set_language": public("Choose the language", network=True),
    "consultations:availability": public("Partners' availability (JSON)"),
    # Webhooks: anyone may knock; the request is verified on its raw body.
    "payments:webhook": public("Payment provider's webhook (signed)", network=True),
    "consultations:voice": public("Telephony provider's webhook (signed)", network=True),
    # Uploaded logos and photos (demo only; production serves them from the proxy).
    "media": public("Uploaded images (demo; the proxy in production)", network=True),
    # The client's own pages, on their platform's host only.
    "site:account": clients("Client account"),
    "site:account_pin": clients("Phone PIN"),
    # --- experience
    "site:account_waiver": clients("§ 356 BGB request for phone consultations"),
    "payments:methods": clients("Saved payment methods"),
    "payments:method_add": clients("Save a payment method"),
    "payments:method_done": clients("Saving a payment method: back from the provider", owned=True),
    "payments:method_charge": clients("One-click top-up with a saved method", owned=True),
    "payments:method_delete": clients("Delete a saved payment method", owned=True),
    "payments:auto_topup": clients("Automatic top-up"),
    "consultations:favourites": clients("Favourite partners"),
    "consultations:favourite_toggle": clients("Star or unstar a partner"),
    "consultations:online_alert": clients("Mail me when a partner is online"),
    # --- end experience
    "site:account_export": clients("Data export (download)"),
    "site:account_close": clients("Close the account"),
    "payments:wallet": clients("Wallet"),
    "payments:topup": clients("Top up"),
    "payments:result": clients("Result of a payment", owned=True),
    "payments:receipt": clients("Receipt of a top-up (PDF)", owned=True),
    "payments:deposit_limit": clients("Deposit limit"),
    "payments:self_exclude": clients("Self-exclusion"),
    "payments:refund_request": clients("Request a refund"),
    "payments:sandbox_checkout": clients("Sandbox checkout of a payment", owned=True),
    "payments:sandbox_card": clients("Sandbox page for saving a test card", owned=True),
    # --- risk (collections): the client's debt page
    "site:debt": clients("Debt after a chargeback: dunning, instalments, pay"),
    "site:debt_plan": clients("Accept or decline an offered instalment plan"),
    "consultations:start": clients("Request a consultation"),
    "consultations:rate": clients("Rate a consultation", owned=True),
    "consultations:records": clients("Consultation history"),
    "consultations:records_csv": clients("Consultation history (CSV)"),
    "consultations:consumption": clients("Monthly consumption statement"),
    "api:wallet": clients("API: wallet"),
    "api:topups": clients("API: top-up"),
    "api:payments": clients("API: payments"),
    "api:api-root": clients("API: root"),
    "api:openapi-json": public("API: OpenAPI document", network=True),
    # The room: its client on the platform's host, its partner on any host.
    "consultations:room": Rule(
        "Consultation room", platform=CLIENT | PARTNER, network=PARTNER, owned=True
    ),
    # The partner portal.
    "partner:dashboard": partners("Partner portal"),
    "partner:availability": partners("Set availability"),
    "partner:listing_edit": partners("Edit a listing", owned=True),
    # --- support: reported ratings (clients on the profile, partners in the portal)
    "site:rating_report": clients("Report a rating"),
    "partner:ratings": partners("Ratings (report one)"),
    "consultations:partner_requests": partners("Requests"),
    "consultations:partner_presence": partners("Set status"),
    "consultations:partner_records": partners("Earnings"),
    "consultations:partner_records_csv": partners("Earnings (CSV)"),
    "statements:list": partners("Credit notes"),
    "statements:tax_profile": partners("Tax and bank data"),
    "statements:download": partners("Download a credit note", owned=True),
    # --- docs (#14 point 4): the client's billing details and monthly invoices.
    "accounting:client_billing": clients("Billing details (country, VAT ID, address)"),
    "accounting:client_invoice": clients("Download a monthly invoice", owned=True),
    "accounting:client_invoice_pdf": clients("Download a monthly invoice (PDF)", owned=True),
    # --- docs (GoBD, #15 point 6): a partner objects to a credit note.
    "statements:objection": partners("Object to a credit note", owned=True),
    "payouts:list": partners("Payouts"),
    # Partners and staff (those with a second factor).
    "site:recovery_codes": Rule("Recovery codes", platform=PARTNER, network=PARTNER | STAFF),
    # --- partners: onboarding (issue 13)
    "site:partner_apply": public("Become a partner: the application form"),
    "site:partner_apply_done": public("Become a partner: application sent"),
    "site:partner_invitation": public("Partner invitation: password and authenticator (link)"),
    "partner:onboarding": partners("Onboarding: partner terms, self-billing, tax and bank data"),
    # The back office, on the network's hosts only.
    "site:staff_invitation": Rule("Staff invitation (one-time link)", network=EVERYONE),
    "statements:staff_download": back_office(
        "Download a credit note (back office)", _holding(roles.DOWNLOAD_STATEMENT)
    ),
    "payouts:staff_file": back_office("SEPA file of a payout run", _holding(roles.DOWNLOAD_SEPA)),
    # --- back office: the console (backoffice app) ------------------------------------
    "backoffice:home": back_office("Console: dashboard (money figures: see the CSV rule)", STAFF),
    "backoffice:dashboard_csv": back_office(
        "Console: dashboard figures (CSV)", frozenset({Actor.RISK, Actor.ACCOUNTING, Actor.ADMIN})
    ),
    "backoffice:books": back_office(
        "Console: VAT return figures and DATEV", frozenset({Actor.ACCOUNTING, Actor.ADMIN})
    ),
    "backoffice:books_datev": back_office(
        "Console: DATEV posting batch (download)", frozenset({Actor.ACCOUNTING, Actor.ADMIN})
    ),
    "backoffice:audit": back_office("Console: audit trail", frozenset({Actor.ADMIN})),
    "backoffice:audit_csv": back_office("Console: audit trail (CSV)", frozenset({Actor.ADMIN})),
    # --- back office: risk (disputes, refunds, bank lines, dunning) ------------------------
    "backoffice:risk_disputes": back_office("Risk: disputes queue", RISK_READ),
    "backoffice:risk_dispute": back_office("Risk: a dispute (evidence, notes, history)", RISK_READ),
    "backoffice:risk_dispute_note": back_office("Risk: note on a dispute", RISK_ONLY),
    "backoffice:risk_dispute_evidence": back_office("Risk: upload evidence", RISK_ONLY),
    "backoffice:risk_dispute_outcome": back_office("Risk: decide a dispute", RISK_ONLY),
    "backoffice:risk_evidence_file": back_office("Risk: download evidence", RISK_READ),
    "backoffice:risk_refunds": back_office("Risk: refund requests queue", RISK_READ),
    "backoffice:risk_refund": back_office("Risk: a refund request", RISK_READ),
    "backoffice:risk_refund_approve": back_office("Risk: approve a refund (four eyes)", RISK_ONLY),
    "backoffice:risk_refund_reject": back_office("Risk: reject a refund", RISK_ONLY),
    "backoffice:risk_unmatched": back_office(
        "Risk: unmatched payments and bank lines", RISK_BOOKS_READ
    ),
    "backoffice:risk_entry_assign": back_office("Risk: assign a bank line", RISK_BOOKS),
    "backoffice:risk_entry_ignore": back_office("Risk: set a bank line aside", RISK_BOOKS),
    "backoffice:risk_inbox_retry": back_office(
        "Risk: process a provider notification again", RISK_BOOKS
    ),
    "backoffice:risk_dunning": back_office("Risk: dunning cases", RISK_READ),
    "backoffice:risk_case": back_office("Risk: a dunning case", RISK_READ),
    "backoffice:risk_case_instalments": back_office("Risk: agree or offer instalments", RISK_ONLY),
    "backoffice:risk_case_write_off": back_office("Risk: write a debt off", RISK_ONLY),
    "backoffice:risk_claim": back_office("Risk: take or hand back a queue item", RISK_BOOKS),
    # --- back office: support (messages, ratings, client file, goodwill) ---------------------
    # --- back office: partners (applications, listings, partner file, payout runs) ----------
    "backoffice:partners_applications": back_office(
        "Console: partner applications (queue)", frozenset({Actor.SUPPORT, Actor.ADMIN})
    ),
    "backoffice:partners_application": back_office(
        "Console: one partner application", frozenset({Actor.SUPPORT, Actor.ADMIN})
    ),
    "backoffice:partners_application_accept": back_office(
        "Console: accept an application (invite)", frozenset({Actor.SUPPORT, Actor.ADMIN})
    ),
    "backoffice:partners_application_reject": back_office(
        "Console: reject an application", frozenset({Actor.SUPPORT, Actor.ADMIN})
    ),
    "backoffice:partners_application_claim": back_office(
        "Console: take over an application", frozenset({Actor.SUPPORT, Actor.ADMIN})
    ),
    "backoffice:partners_revisions": back_office(
        "Console: listings and edits awaiting review", frozenset({Actor.SUPPORT, Actor.ADMIN})
    ),
    "backoffice:partners_revision": back_office(
        "Console: one listing revision", frozenset({Actor.SUPPORT, Actor.ADMIN})
    ),
    "backoffice:partners_revision_approve": back_office(
        "Console: approve a listing revision", frozenset({Actor.SUPPORT, Actor.ADMIN})
    ),
    "backoffice:partners_revision_reject": back_office(
        "Console: reject a listing revision", frozenset({Actor.SUPPORT, Actor.ADMIN})
    ),
    "backoffice:partners_revision_claim": back_office(
        "Console: take over a listing revision", frozenset({Actor.SUPPORT, Actor.ADMIN})
    ),
    "backoffice:partners_partners": back_office(
        "Console: partner files (search)",
        frozenset({Actor.SUPPORT, Actor.ACCOUNTING, Actor.ADMIN}),
    ),
    "backoffice:partners_partner": back_office(
        "Console: one partner file (earnings, statements, payouts, adjustments)",
        frozenset({Actor.SUPPORT, Actor.ACCOUNTING, Actor.ADMIN}),
    ),
    "backoffice:partners_adjustment_create": back_office(
        "Console: enter a partner adjustment", frozenset({Actor.ACCOUNTING, Actor.ADMIN})
    ),
    "backoffice:partners_adjustment_approve": back_office(
        "Console: approve an adjustment (second person)",
        frozenset({Actor.ACCOUNTING, Actor.ADMIN}),
    ),
    "backoffice:partners_adjustment_reject": back_office(
        "Console: reject an adjustment (second person)",
        frozenset({Actor.ACCOUNTING, Actor.ADMIN}),
    ),
    "backoffice:partners_suspend": back_office(
        "Console: suspend a partner", frozenset({Actor.ADMIN})
    ),
    "backoffice:partners_reactivate": back_office(
        "Console: reactivate a partner", frozenset({Actor.ADMIN})
    ),
    "backoffice:partners_payout_runs": back_office(
        "Console: payout runs", frozenset({Actor.ACCOUNTING})
    ),
    "backoffice:partners_payout_run_start": back_office(
        "Console: start a payout run", frozenset({Actor.ACCOUNTING})
    ),
    "backoffice:partners_payout_run_file": back_office(
        "Console: SEPA file of a payout run", frozenset({Actor.ACCOUNTING})
    ),
    "backoffice:partners_payout_run_sent": back_office(
        "Console: mark a payout run sent to the bank", frozenset({Actor.ACCOUNTING})
    ),
    # --- Django admin (superusers' raw data; staff by their roles' permissions) --------------
    "admin:login": Rule("Admin: log-in (redirects)", network=EVERYONE),
    "admin:logout": back_office("Admin: log-out", STAFF),
    "admin:index": back_office("Admin: index", STAFF),
    "admin:app_list": back_office("Admin: an app's index", STAFF),
    "admin:jsi18n": back_office("Admin: translations (JS)", STAFF),
    "admin:autocomplete": back_office("Admin: autocomplete", STAFF),
    "admin:view_on_site": back_office("Admin: view on site", STAFF),
    "admin:password_change": back_office("Admin: own password", SUPERUSER),
    "admin:password_change_done": back_office("Admin: own password", SUPERUSER),
    "admin:auth_user_password_change": back_office("Set a person's password", SUPERUSER),
    "admin:ledger_trial_balance": back_office(
        "Trial balance", _holding(("ledger", "view_account"))
    ),
    "admin:payments_bankstatement_upload": back_office(
        "Upload a bank statement", _holding(("payments", "add_bankstatement"))
    ),
    "admin:payments_bankentry_assign": back_office(
        "Assign a bank entry", _holding(("payments", "change_bankentry"))
    ),
    "admin:otp_totp_totpdevice_config": back_office("Authenticator set-up", SUPERUSER),
    "admin:otp_totp_totpdevice_qrcode": back_office("Authenticator: QR code", SUPERUSER),
    # The admin's unnamed pages: old object links (redirect to the change form, checked
    # there) and the catch-all (a 404 for staff, the log-in for visitors).
    "admin:django.views.generic.base.RedirectView": back_office("Admin: old object link", STAFF),
    "admin:django.contrib.admin.sites.catch_all_view": back_office("Admin: unknown page", STAFF),
    # --- support: contact messages, reported ratings, client files, goodwill (console)
    **{
        name: back_office(what, actors)
        for name, what, actors in (
            ("backoffice:support_messages", "Contact messages (queue)", _SUPPORT_DESK),
            ("backoffice:support_message", "Contact message: thread, reply", _SUPPORT_DESK),
            ("backoffice:support_ratings", "Reported ratings (queue)", _SUPPORT_DESK),
            ("backoffice:support_rating", "Reported rating: hide, keep, restore", _SUPPORT_DESK),
            ("backoffice:support_clients", "Find a client", _CLIENT_FILE_READERS),
            ("backoffice:support_client", "Client file", _CLIENT_FILE_READERS),
            ("backoffice:support_client_action", "Client file: an action", _CLIENT_FILE_ACTORS),
            ("backoffice:support_client_unblock", "Client file: unblock", _UNBLOCKERS),
            ("backoffice:support_client_close", "Client file: close the account", _SUPPORT_DESK),
            (
                "backoffice:support_client_transcript",
                "Chat transcript (read logged)",
                _SUPPORT_DESK,
            ),
            ("backoffice:support_goodwill", "Goodwill credits (queue)", _CLIENT_FILE_ACTORS),
            (
                "backoffice:support_goodwill_decide",
                "Goodwill credit: approve, reject",
                _CLIENT_FILE_ACTORS,
            ),
        )
    },
}

# Answered by ops.middleware.OpsEndpointsMiddleware before any URL is resolved (no host,
# session or table): what each gives away, and to whom.
OPS_ENDPOINTS: Final[dict[str, str]] = {
    "/healthz": "everyone: the process is up (no details)",
    "/readyz": "everyone: database, cache and migrations ready (no details)",
    "/metrics": "peers in METRICS_ALLOWED_IPS or a request with the METRICS_TOKEN bearer; "
    "403 for anyone else",
}

# WebSocket routes (config/routing.py) by their route; the consumers check the object.
WEBSOCKET_RULES: Final[dict[str, Rule]] = {
    "ws/ping/": public("WebSocket: ping", network=True),
    "ws/consultations/<uuid:consultation_id>/": Rule(
        "WebSocket: consultation room", platform=CLIENT | PARTNER, network=PARTNER, owned=True
    ),
    "ws/partner/requests/": partners("WebSocket: requests to the partner"),
    "ws/presence/": public("WebSocket: partners' availability"),
}

# The admin's own pages of a registered model: admin:<app>_<model>_<page>.
_ADMIN_MODEL_URL = re.compile(
    r"^admin:(?P<app>[a-z0-9_]+?)_(?P<model>[a-z0-9]+)_(?P<page>changelist|add|change|delete|history)$"
)
_ADMIN_PAGE_PERMS: Final = {
    "changelist": ("view", "change"),
    "change": ("view", "change"),
    "history": ("view", "change"),
    "add": ("add",),
    "delete": ("delete",),
}
ADMIN_PAGE_WHAT: Final = {
    "changelist": "list",
    "change": "change form",
    "history": "history",
    "add": "add",
    "delete": "delete",
}


def admin_model_rule(app_label: str, model: str, page: str) -> Rule:
    """The roles holding the permission the admin itself asks for on this page."""
    perms = tuple((app_label, f"{action}_{model}") for action in _ADMIN_PAGE_PERMS[page])
    return back_office(f"Admin: {app_label}.{model} ({ADMIN_PAGE_WHAT[page]})", _holding(*perms))


def rule_for(view_name: str) -> Rule | None:
    """The rule of a URL by its view name; None when the table has none (refused)."""
    rule = URL_RULES.get(view_name)
    if rule is not None:
        return rule
    match = _ADMIN_MODEL_URL.match(view_name)
    if match is None:
        return None
    return admin_model_rule(match["app"], match["model"], match["page"])


def actors_of(user: Any, *, platform: Any) -> frozenset[Actor]:
    """The actor kinds `user` counts as on a host of `platform` (None: a network host).

    Staff count as each role group they are in (a staff login without a role as none);
    a client only on their own platform's host.
    """
    if user is None or not user.is_authenticated or not user.is_active:
        return frozenset({Actor.ANONYMOUS})
    kinds: set[Actor] = set()
    if user.is_superuser:
        kinds.add(Actor.SUPERUSER)
    if user.is_staff:
        names = set(user.groups.values_list("name", flat=True))
        kinds |= {Actor(role) for role in roles.ROLES if role in names}
    kind = getattr(user, "kind", "")
    if kind == "partner":
        kinds.add(Actor.PARTNER)
    elif kind == "client" and platform is not None and user.platform_id == platform.pk:
        kinds.add(Actor.CLIENT)
    return frozenset(kinds)


def host_kind(platform: Any) -> Host:
    return Host.NETWORK if platform is None else Host.PLATFORM
