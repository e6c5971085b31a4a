"""The authorization matrix: every URL pattern of the URLconf (the admin's changelists,
change forms and other pages of every registered model, every download), requested as
every actor (a visitor, a client of platform A and of B, two partners, each staff role,
a superuser) on every host (A, B, the network's), against the one declared table
`accounts.access`. A new URL is covered without editing this test; a URL missing from
the table fails it. Any 500 fails; any success the table does not allow fails.

Allowed: 2xx/3xx (or the view's own answer listed in VIEW_ANSWERS, e.g. 405 for a GET
to a POST-only view); for a URL naming an object, any client or partner but its owner
gets 403/404. Refused: a redirect to the log-in, 401, 403 or 404.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Final

import pytest
from django.apps import apps
from django.contrib import admin
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from sprechzeit.accounts import access
from sprechzeit.accounts.access import Host
from sprechzeit.accounts.models import User
from sprechzeit.accounts.tests.factories import login_verified
from sprechzeit.ops.middleware import ENDPOINTS
from sprechzeit.platforms.tests.factories import platform_create

from .authz_world import ACTORS, HOSTS, World, counts_as, world_create

# The partners area's POST-only actions of the console (also skipped by the browser crawl).
PARTNERS_POST_ACTIONS: Final = (
    "application_accept",
    "application_reject",
    "application_claim",
    "revision_approve",
    "revision_reject",
    "revision_claim",
    "adjustment_create",
    "adjustment_approve",
    "adjustment_reject",
    "suspend",
    "reactivate",
    "payout_run_start",
    "payout_run_sent",
)

# What an allowed actor gets from a view that answers for itself (not a refusal of the
# actor): POST-only views to a GET, webhooks without a signature, samples that name
# nothing (a file, a voice configuration, an unknown admin page).
VIEW_ANSWERS: dict[str, set[int]] = {
    "consultations:partner_presence": {405},
    "site:logout": {405},
    "site:login_2fa": {302},  # no password step pending: back to the log-in
    "payments:refund_request": {405},
    "payments:deposit_limit": {405},
    "payments:self_exclude": {405},
    "site:account_waiver": {405},
    "payments:method_add": {405},
    "payments:method_charge": {405},
    "payments:method_delete": {405},
    "payments:auto_topup": {405},
    "consultations:favourite_toggle": {405},
    "consultations:online_alert": {405},
    "partner:availability": {405},
    "admin:logout": {405},
    "api:topups": {405},
    "api:api-root": {404},
    "payments:webhook": {400, 405},
    "consultations:voice": {404, 405},
    "media": {404},
    "admin:view_on_site": {404},
    "admin:autocomplete": {403},
    "admin:django.contrib.admin.sites.catch_all_view": {404},
    "admin:payments_bankentry_assign": {404},
    # --- support: form actions (POST only)
    "site:rating_report": {405},
    "backoffice:support_client_action": {405},
    "backoffice:support_client_unblock": {405},
    "backoffice:support_client_close": {405},
    "backoffice:support_goodwill_decide": {405},
    # --- the accounting area: a download asked for without entity and period
    "backoffice:books_datev": {400},
    # --- partners (issue 13): an invitation token that names nothing; POST-only actions
    "site:partner_invitation": {400},
    **{f"backoffice:partners_{name}": {405} for name in PARTNERS_POST_ACTIONS},
}
# POSTs (the rest is requested with GET): a rating names its consultation.
POSTS: dict[str, dict[str, str]] = {"consultations:rate": {"stars": "5", "text": "gut"}}
ADMIN_PAGE = re.compile(r"^admin:.+_(add|delete|history)$")
LOGIN_PATHS = ("/anmelden/", "/admin/login/")


@dataclass(frozen=True)
class Url:
    view_name: str
    route: str


def _walk(patterns: list[Any], prefix: str = "", namespace: str = "") -> Iterator[Url]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            ns = pattern.namespace or ""
            inner = f"{namespace}:{ns}" if namespace and ns else ns or namespace
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern), inner)
        elif isinstance(pattern, URLPattern):
            name = pattern.name or pattern.lookup_str
            if pattern.name is None and namespace == "admin":
                name = f"admin:{pattern.lookup_str}"
                if "catch_all_view" in name:
                    name = "admin:django.contrib.admin.sites.catch_all_view"
                elif "RedirectView" in name:
                    name = "admin:django.views.generic.base.RedirectView"
            elif namespace and pattern.name:
                name = f"{namespace}:{pattern.name}"
            yield Url(name, prefix + str(pattern.pattern))


def every_url() -> list[Url]:
    """Every URL pattern of the URLconf, the admin's included; the log-out last (it
    ends the session the other requests need)."""
    urls = {url.route: url for url in _walk(get_resolver().url_patterns)}
    return sorted(urls.values(), key=lambda url: (url.view_name == "site:logout", url.route))


def matrix_urls() -> list[Url]:
    """The URLs the matrix requests: all, except a model's admin history (the same
    permission as its change form) and all but one route of an unnamed view (the admin's
    old object links: one view behind a route per model)."""
    seen: set[str] = set()
    chosen = []
    for url in every_url():
        if url.view_name.endswith("_history"):
            continue
        if url.view_name.startswith("admin:django.") and url.view_name in seen:
            continue
        seen.add(url.view_name)
        chosen.append(url)
    return chosen


def _admin_object(view_name: str) -> str:
    """The pk of some object of the admin page's model, "0" when there is none."""
    match = re.match(r"^admin:(.+?)_([a-z0-9]+)_(?:change|delete|history)$", view_name)
    if match is None:
        return "1"
    model = apps.get_model(match[1], match[2])
    first = model._default_manager.order_by("pk").first()
    return str(first.pk) if first is not None else "0"


def concrete_path(url: Url, world: World) -> str:
    """The route with its parameters filled: the world's objects where it names one, else
    a value of the converter's kind."""
    values = {key: str(value) for key, value in world.kwargs.get(url.view_name, {}).items()}

    def fill(match: re.Match[str]) -> str:
        converter, name = match["conv"] or "str", match["name"]
        if name in values:
            return values[name]
        if name == "object_id":
            return _admin_object(url.view_name)
        return {"int": "1", "uuid": str(uuid.uuid4())}.get(converter, "x")

    route = re.sub(r"\(\?P<(?P<name>\w+)>[^)]*\)", lambda m: values.get(m["name"], "x"), url.route)
    route = re.sub(r"<(?:(?P<conv>\w+):)?(?P<name>\w+)>", fill, route)
    return "/" + route.replace("^", "").replace("$", "")


def _refused(response: Any) -> bool:
    if response.status_code in (401, 403, 404):
        return True
    location = str(response.get("Location", ""))
    return bool(response.status_code == 302 and location.startswith(LOGIN_PATHS))


def _verdict(url: Url, actor: str, host: str, response: Any, world: World) -> str | None:
    """None if the answer is what the table says, else what is wrong."""
    status = response.status_code
    if status >= 500:
        return f"{status} (server error)"
    rule = access.rule_for(url.view_name)
    if rule is None:
        return "missing from accounts.access"
    kind = Host.NETWORK if host == "net" else Host.PLATFORM
    allowed = rule.allows(counts_as(actor, host), kind)
    owners = world.owners.get(url.view_name)
    if not allowed:
        return None if _refused(response) else f"{status}: the table does not allow it"
    if rule.owned and owners is not None and actor not in owners:
        # Someone else's object: not found (a form action sends back with a message).
        if actor.startswith(("client", "partner")) and status not in (403, 404):
            posted = url.view_name in POSTS and status == 302
            return None if posted else f"{status} for a client or partner not its owner"
        return None
    if url.view_name in world.home_a and host != "a":
        # The object is platform A's: on another host it does not exist.
        return None if status in (400, 404) else f"{status} for platform A's object on {host}"
    if status in VIEW_ANSWERS.get(url.view_name, set()):
        return None
    if ADMIN_PAGE.match(url.view_name) and status == 403:
        return None  # the admin's own narrower check (a read-only model: no add, no delete)
    if 200 <= status < 400:
        if status == 302 and response["Location"].startswith(LOGIN_PATHS):
            return None if url.view_name.startswith("admin:") else "allowed, but sent to log in"
        return None
    return f"{status}: the table allows it"


def _requests(url: Url, host: str) -> tuple[str, ...]:
    """The actors to request `url` with on `host`: all, except the back office on a
    platform's host (404 for everyone: a visitor and the superuser)."""
    if url.view_name.startswith("admin:") and host != "net":
        return ("anonymous", "superuser")
    return ACTORS


def _matrix(world: World, urls: list[Url]) -> list[str]:
    failures: list[str] = []
    for host, name in HOSTS.items():
        browsers = {actor: world.browser(actor) for actor in ACTORS}
        for url in urls:
            path = concrete_path(url, world)
            data = POSTS.get(url.view_name)
            for actor in _requests(url, host):
                browser = browsers[actor]
                if data is None:
                    response = browser.get(path, headers={"host": name})
                else:
                    response = browser.post(path, data, headers={"host": name})
                problem = _verdict(url, actor, host, response, world)
                if problem:
                    failures.append(f"{url.view_name} {path} as {actor} on {host}: {problem}")
    return failures


@pytest.mark.django_db
def test_every_url_as_every_actor_on_every_host() -> None:
    world = world_create()
    urls = matrix_urls()
    # Every registered model's changelist and change form are among them.
    names = {url.view_name for url in urls}
    for model in admin.site._registry:
        opts = model._meta
        assert f"admin:{opts.app_label}_{opts.model_name}_changelist" in names
        assert f"admin:{opts.app_label}_{opts.model_name}_change" in names
    failures = _matrix(world, urls)
    assert failures == [], "\n".join(failures)


def test_every_url_has_a_rule_and_every_rule_a_url() -> None:
    """Deny by default: a URL without a line in the table is refused to everyone, so a new
    URL must be declared; and the table names no URL that is gone."""
    names = {url.view_name for url in every_url()}
    assert sorted(name for name in names if access.rule_for(name) is None) == []
    assert sorted(set(access.URL_RULES) - names) == []


def test_admin_pages_follow_the_roles_permissions() -> None:
    """Each admin page of a model is open to the roles holding its permission, on the
    network's host only; a page of a model no role may see is the superuser's."""
    rule = access.rule_for("admin:payouts_bankline_changelist")
    assert rule is not None
    assert rule.network == {access.Actor.ACCOUNTING, access.Actor.SUPERUSER}
    assert rule.platform == frozenset()
    group = access.rule_for("admin:auth_group_change")
    assert group is not None
    assert group.network == access.SUPERUSER
    assert ADMIN_PAGE.match("admin:payments_payment_add")


@pytest.mark.django_db
def test_a_url_missing_from_the_table_is_refused_to_everyone(monkeypatch: Any) -> None:
    """Deny by default: the impressum without its line is closed even to a superuser."""
    platform_create(slug="a")
    visitor, boss = Client(), Client()
    login_verified(boss, User.objects.create_superuser("chefin@example.com", "geheim-42-x"))
    on_a = {"host": HOSTS["a"]}
    assert visitor.get("/impressum/", headers=on_a).status_code == 200
    monkeypatch.delitem(access.URL_RULES, "site:impressum")
    assert visitor.get("/impressum/", headers=on_a).status_code == 403
    assert boss.get("/impressum/", headers=on_a).status_code == 403


@pytest.mark.django_db
def test_the_operations_endpoints_answer_everyone_and_metrics_only_its_peers() -> None:
    """/healthz, /readyz, /metrics are answered before the table (accounts.access
    OPS_ENDPOINTS): on every host, for a visitor from an unknown address, health and
    readiness answer and /metrics refuses."""
    platform_create(slug="a")
    stranger = Client(REMOTE_ADDR="203.0.113.9")
    for host in HOSTS.values():
        assert stranger.get("/healthz", headers={"host": host}).status_code == 200
        assert stranger.get("/readyz", headers={"host": host}).status_code in (200, 503)
        assert stranger.get("/metrics", headers={"host": host}).status_code == 403
    assert set(access.OPS_ENDPOINTS) == set(ENDPOINTS)
