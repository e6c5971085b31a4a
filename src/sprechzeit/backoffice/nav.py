"""The console's navigation: each area declares its entries; who sees an entry is what
the access table (`accounts.access`) allows, so the menu and the permissions never differ."""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest
from django.urls import reverse
from django.utils.functional import Promise

from sprechzeit.accounts import access


@dataclass(frozen=True)
class NavEntry:
    label: str | Promise
    url_name: str  # without the namespace: "risk_disputes"
    section: str | Promise = ""

    @property
    def view_name(self) -> str:
        return f"backoffice:{self.url_name}"


def allowed(request: HttpRequest, view_name: str) -> bool:
    """Whether the signed-in staff member may open `view_name` on the network host."""
    rule = access.rule_for(view_name)
    if rule is None:
        return False
    actors = access.actors_of(request.user, platform=None)
    return rule.allows(actors, access.Host.NETWORK)


def nav_for(request: HttpRequest, entries: list[NavEntry]) -> list[dict[str, object]]:
    """The `entries` `request.user` may open, with their URL and whether they are current."""
    current = request.resolver_match.view_name if request.resolver_match else ""
    return [
        {
            "label": entry.label,
            "section": entry.section,
            "url": reverse(entry.view_name),
            "current": current == entry.view_name,
        }
        for entry in entries
        if allowed(request, entry.view_name)
    ]
