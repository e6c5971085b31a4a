"""Partner and staff sessions are bound to the host they logged in on.

A client's login counts on its own platform only (`PlatformSessionMiddleware`). Partners
and staff have no platform, so their login records the host name it happened on, and a
session presented on any other host counts as anonymous (HTTP and WebSocket alike). The
session cookie is host-only already; this guards against a cookie carried to another
host by hand, a shared parent domain set by mistake, or a stolen cookie replayed
elsewhere.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from sprechzeit.platforms.selectors import normalise_host

SESSION_HOST_KEY = "sprechzeit_login_host"
# Recorded when a login happens without any host at all: only Django's test client's
# force_login does that (every HTTP and ASGI request has a Host or SERVER_NAME).
ANY_HOST = "*"


def host_of(meta: Mapping[str, Any]) -> str:
    """The request's host name (lower case, without port), "" when it has none."""
    return normalise_host(str(meta.get("HTTP_HOST") or meta.get("SERVER_NAME") or ""))


def session_host_allows(*, user: Any, session: Any, host: str) -> bool:
    """May `user`'s session act on `host`? Always for clients (bound to their platform
    elsewhere); for partners and staff only on the host their login recorded. A session
    without a record (one from before the binding) counts nowhere."""
    if getattr(user, "platform_id", None) is not None:
        return True
    bound = session.get(SESSION_HOST_KEY)
    return bound == ANY_HOST or (bool(bound) and bound == host)


@receiver(user_logged_in, dispatch_uid="sprechzeit.accounts.session_host")
def _bind_session_to_host(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    session = getattr(request, "session", None)
    if session is None:
        return
    session[SESSION_HOST_KEY] = host_of(getattr(request, "META", {})) or ANY_HOST
