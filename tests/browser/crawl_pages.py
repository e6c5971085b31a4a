"""The browser crawl's page list, generated from the URLconf and the access table.

Every URL pattern is either a page or listed in `EXCLUDED` with the reason it is not
one (a download, a POST-only action, a webhook, a fragment, the admin). A page is visited
by every crawl role the access table (`accounts.access`) allows on its kind of host; its
path parameters are filled from the demo's objects by `SOURCES` (per view) or
`BY_KWARG` (per parameter name), whose values `tests/browser/crawl_demo.py` looks up in
the demo server's database. A new page is visited without editing the crawl; a new
parameter nobody knows how to fill, or a page no role is allowed, fails
tests/test_crawl_pages.py until it is filled or excluded here.

No browser and no database here: the unit test uses the same functions.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from sprechzeit.accounts import access
from sprechzeit.accounts.access import Actor, Host
from tests.test_authorization_matrix import PARTNERS_POST_ACTIONS, Url, every_url

# --- who crawls -----------------------------------------------------------------------


@dataclass(frozen=True)
class Role:
    """A crawl role: who (`name`, what they count as in the table) on which host (a demo
    platform's slug, None for the network's host 127.0.0.1)."""

    name: str
    platform: str | None
    actors: frozenset[Actor]

    @property
    def host(self) -> Host:
        return Host.NETWORK if self.platform is None else Host.PLATFORM

    @property
    def label(self) -> str:
        return f"{self.platform or 'network'}-{self.name}"


PLATFORMS: Final = ("coaching", "karten")
ROLES: Final[tuple[Role, ...]] = (
    *(
        Role(name, platform, frozenset({actor}))
        for platform in PLATFORMS
        for name, actor in (
            ("anonymous", Actor.ANONYMOUS),
            ("client", Actor.CLIENT),
            ("partner", Actor.PARTNER),
        )
    ),
    # The network's host: its public pages (overview, log-in, invitations), the partner
    # portal (partners may log in there too) and the console as each staff role. The
    # demo admin is also a superuser (demo/seed.py).
    Role("anonymous", None, frozenset({Actor.ANONYMOUS})),
    Role("partner", None, frozenset({Actor.PARTNER})),
    Role("support", None, frozenset({Actor.SUPPORT})),
    Role("risk", None, frozenset({Actor.RISK})),
    Role("accounting", None, frozenset({Actor.ACCOUNTING})),
    Role("admin", None, frozenset({Actor.ADMIN, Actor.SUPERUSER})),
)

# --- what is not a page ---------------------------------------------------------------

_DOWNLOAD = "a file download (CSV, PDF, XML, JSON, SEPA), not a page; its own tests read it"
_POST = "a form action (POST only; a GET answers 405 or goes back to its page)"
_HOOK = "a provider's webhook (POST, signed), not a page"
EXCLUDED: Final[dict[str, str]] = {
    # Downloads.
    "statements:download": _DOWNLOAD,
    "statements:staff_download": _DOWNLOAD,
    "payments:receipt": _DOWNLOAD,
    "payouts:staff_file": _DOWNLOAD,
    "consultations:records_csv": _DOWNLOAD,
    "consultations:partner_records_csv": _DOWNLOAD,
    "consultations:availability": _DOWNLOAD,
    "site:account_export": _DOWNLOAD,
    "accounting:client_invoice": _DOWNLOAD,
    "accounting:client_invoice_pdf": _DOWNLOAD,
    "backoffice:dashboard_csv": _DOWNLOAD,
    "backoffice:audit_csv": _DOWNLOAD,
    "backoffice:books_datev": _DOWNLOAD,
    "backoffice:partners_payout_run_file": _DOWNLOAD,
    "backoffice:risk_evidence_file": _DOWNLOAD,
    "api:openapi-json": _DOWNLOAD,
    # Form actions.
    "site:logout": _POST,
    "site:account_waiver": _POST,
    "site:rating_report": _POST,
    "site:debt_plan": _POST,
    "payments:refund_request": _POST,
    "payments:deposit_limit": _POST,
    "payments:self_exclude": _POST,
    "payments:method_add": _POST,
    "payments:method_charge": _POST,
    "payments:method_delete": _POST,
    "payments:auto_topup": _POST,
    "consultations:rate": _POST,
    "consultations:partner_presence": _POST,
    "consultations:favourite_toggle": _POST,
    "consultations:online_alert": _POST,
    "partner:availability": _POST,
    "backoffice:risk_dispute_note": _POST,
    "backoffice:risk_dispute_evidence": _POST,
    "backoffice:risk_dispute_outcome": _POST,
    "backoffice:risk_refund_approve": _POST,
    "backoffice:risk_refund_reject": _POST,
    "backoffice:risk_entry_assign": _POST,
    "backoffice:risk_entry_ignore": _POST,
    "backoffice:risk_inbox_retry": _POST,
    "backoffice:risk_case_instalments": _POST,
    "backoffice:risk_case_write_off": _POST,
    "backoffice:risk_claim": _POST,
    "backoffice:support_client_action": _POST,
    "backoffice:support_client_unblock": _POST,
    "backoffice:support_client_close": _POST,
    "backoffice:support_goodwill_decide": _POST,
    **{f"backoffice:partners_{name}": _POST for name in PARTNERS_POST_ACTIONS},
    # Not pages.
    "payments:webhook": _HOOK,
    "consultations:voice": _HOOK,
    "site:listing_status": "an htmx fragment (the badge the profile page polls), not a page",
    "set_language": "the language switch: a POST that redirects back",
    "site:login_2fa": "the log-in's second step, a page only after the password step "
    "(test_crawl.test_the_second_factor_step_of_the_log_in checks it)",
    "media": "uploaded images, not pages",
    # The REST API answers JSON to programs (tests/test_api*.py).
    "api:api-root": "the REST API (JSON), not a page",
    "api:wallet": "the REST API (JSON), not a page",
    "api:payments": "the REST API (JSON), not a page",
    "api:topups": "the REST API (JSON), not a page",
}


def excluded_reason(view_name: str) -> str | None:
    """Why the URL is not crawled; None for a page. Django's admin is the superusers' raw
    data with Django's own templates (the authorization matrix covers who may open it)."""
    if view_name.startswith("admin:"):
        return "Django's admin: its own templates, not the product's pages"
    return EXCLUDED.get(view_name)


# --- filling the path parameters --------------------------------------------------------

# The demo objects `crawl_demo.py` looks up, by key; per kind of host. On a platform they
# belong to the crawl client and the platform's crawl partner (the client's consultation
# is with that partner); on the network host they are the console's queue items.
PLATFORM_OBJECTS: Final = frozenset(
    {
        "listing_slug",  # the crawl partner's published listing on the platform
        "own_listing",  # the same listing's id (the partner edits it)
        "consultation",  # the crawl client's ended consultation with the crawl partner
        "payment",  # the crawl client's completed sandbox top-up
        "pending_payment",  # the crawl client's top-up still at the sandbox checkout
        "method_setup",  # the crawl client's sandbox card being saved
        "statement",  # the crawl partner's issued credit note (demo history)
        "verify_token",  # the crawl client's e-mail confirmation link
        "reset_uid",  # a demo client's password reset link …
        "reset_token",  # … and its token
        "partner_invitation",  # an accepted application's invitation link
    }
)
NETWORK_OBJECTS: Final = frozenset(
    {
        "application",
        "revision",
        "partner",
        "contact_message",
        "reported_rating",
        "client_account",  # the coaching crawl client …
        "consultation",  # … its consultation (the transcript; the partner's room) …
        "own_listing",  # … with the coaching crawl partner's listing
        "statement",  # that partner's credit note
        "dispute",
        "refund",
        "dunning_case",
        "staff_invitation",
        "reset_uid",  # the crawl staff member's password reset link …
        "reset_token",  # … and its token
    }
)
OBJECTS: Final[Mapping[Host, frozenset[str]]] = {
    Host.PLATFORM: PLATFORM_OBJECTS,
    Host.NETWORK: NETWORK_OBJECTS,
}
# A parameter by its name, wherever it appears …
BY_KWARG: Final[dict[str, str]] = {
    "slug": "listing_slug",
    "consultation_id": "consultation",
    "payment_id": "payment",
    "setup_id": "method_setup",
    "listing_id": "own_listing",
    "dispute_id": "dispute",
    "request_id": "refund",
    "case_id": "dunning_case",
}
# … unless the view names its own source (a `pk`, a token).
SOURCES: Final[dict[str, dict[str, str]]] = {
    "payments:sandbox_checkout": {"payment_id": "pending_payment"},
    "statements:objection": {"pk": "statement"},
    "site:verify_email": {"token": "verify_token"},
    "site:password_reset_confirm": {"uidb64": "reset_uid", "token": "reset_token"},
    "site:partner_invitation": {"token": "partner_invitation"},
    "site:staff_invitation": {"token": "staff_invitation"},
    "backoffice:partners_application": {"pk": "application"},
    "backoffice:partners_revision": {"pk": "revision"},
    "backoffice:partners_partner": {"pk": "partner"},
    "backoffice:support_message": {"pk": "contact_message"},
    "backoffice:support_rating": {"pk": "reported_rating"},
    "backoffice:support_client": {"pk": "client_account"},
    "backoffice:support_client_transcript": {"pk": "client_account"},
}
PARAMETER = re.compile(r"<(?:\w+:)?(?P<name>\w+)>|\(\?P<(?P<group>\w+)>[^)]*\)")


def parameters(url: Url) -> list[str]:
    return [m["name"] or m["group"] for m in PARAMETER.finditer(url.route)]


def source_of(url: Url, kwarg: str) -> str | None:
    """The key of the demo object that fills `kwarg` of `url`, None if nobody knows."""
    return SOURCES.get(url.view_name, {}).get(kwarg) or BY_KWARG.get(kwarg)


# --- the page list --------------------------------------------------------------------


def pages() -> list[Url]:
    """Every URL pattern that is a page (not excluded)."""
    return [url for url in every_url() if excluded_reason(url.view_name) is None]


def allows(role: Role, url: Url) -> bool:
    rule = access.rule_for(url.view_name)
    return rule is not None and rule.allows(role.actors, role.host)


def unfillable(role: Role, url: Url) -> list[str]:
    """The parameters of `url` no declared demo object fills on the role's host."""
    known = OBJECTS[role.host]
    return [k for k in parameters(url) if (source_of(url, k) or "") not in known]


def path_of(url: Url, objects: Mapping[str, object]) -> str:
    """The route with its parameters filled from `objects`; LookupError when one is not
    declared or the demo has no such object."""

    def fill(match: re.Match[str]) -> str:
        kwarg = match["name"] or match["group"]
        key = source_of(url, kwarg)
        value = objects.get(key) if key is not None else None
        if value is None:
            raise LookupError(f"{url.view_name}: the demo has no {key or kwarg}")
        return str(value)

    return "/" + PARAMETER.sub(fill, url.route).replace("^", "").replace("$", "")


def role_pages(role: Role) -> list[Url]:
    """The pages the access table allows `role` on its host, in URLconf order."""
    return [url for url in pages() if allows(role, url)]


def role_paths(role: Role, objects: Mapping[str, object]) -> list[str]:
    """The role's pages as paths on its host, filled with the demo's `objects`."""
    return [path_of(url, objects) for url in role_pages(role)]


def coverage_problems() -> list[str]:
    """What the crawl would skip silently: a page no crawl role may see, a page whose
    parameters nobody fills, an exclusion of a URL that is gone."""
    problems = []
    names = {url.view_name for url in every_url()}
    for url in pages():
        visitors = [role for role in ROLES if allows(role, url)]
        if not visitors:
            problems.append(f"{url.view_name} ({url.route}): no crawl role may see it")
        for role in visitors:
            missing = unfillable(role, url)
            if missing:
                problems.append(
                    f"{url.view_name} ({url.route}) as {role.label}: nothing fills {missing}"
                )
    problems.extend(f"{name}: excluded, but no such URL" for name in sorted(set(EXCLUDED) - names))
    return problems
