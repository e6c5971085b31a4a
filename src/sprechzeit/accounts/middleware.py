from __future__ import annotations

from collections.abc import Callable
from typing import Any

from channels.middleware import BaseMiddleware
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse

from sprechzeit.accounts.sessions import host_of, session_host_allows


class PlatformSessionMiddleware:
    """A client's login counts only on its own platform; a partner's or staff member's
    only on the host they logged in on (`accounts.sessions`).

    Session cookies are host-only, so a browser never sends platform A's cookie to B; this
    guards against a cookie copied by hand (or a shared parent domain set by mistake).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        platform = getattr(request, "platform", None)
        if (
            user.is_authenticated
            and user.platform_id is not None
            and (platform is None or user.platform_id != platform.pk)
        ) or (
            user.is_authenticated
            and not session_host_allows(
                user=user, session=request.session, host=host_of(request.META)
            )
        ):
            request.user = AnonymousUser()
        return self.get_response(request)


class HostBoundSessionMiddleware(BaseMiddleware):  # type: ignore[misc]
    """The same binding for WebSockets (inside Channels' AuthMiddlewareStack, whose user
    is resolved and whose session is loaded by then): a partner's or staff member's
    socket on another host than their login's is anonymous."""

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        user = scope.get("user")
        session = scope.get("session")
        if user is not None and user.is_authenticated and session is not None:
            headers = dict(scope.get("headers", []))
            host = host_of({"HTTP_HOST": headers.get(b"host", b"").decode("latin-1")})
            if not session_host_allows(user=user, session=session, host=host):
                scope = {**scope, "user": AnonymousUser()}
        return await super().__call__(scope, receive, send)
