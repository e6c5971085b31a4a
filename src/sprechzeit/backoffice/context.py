"""The console's menu and the signed-in staff member's roles, on the console's pages only."""

from __future__ import annotations

from django.http import HttpRequest

from sprechzeit.accounts import roles
from sprechzeit.backoffice.nav import nav_for
from sprechzeit.backoffice.urls import NAV


def console(request: HttpRequest) -> dict[str, object]:
    match = getattr(request, "resolver_match", None)
    if match is None or match.namespace != "backoffice" or not request.user.is_authenticated:
        return {}
    names = set(request.user.groups.values_list("name", flat=True))
    return {
        "bo_nav": nav_for(request, NAV),
        "bo_roles": [role for role in roles.ROLES if role in names]
        + (["superuser"] if request.user.is_superuser else []),
    }
