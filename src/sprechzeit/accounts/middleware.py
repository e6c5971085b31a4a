from __future__ import annotations

from collections.abc import Callable
from typing import Any

from channels.db import database_sync_to_async
from channels.middleware import BaseMiddleware
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.utils.translation import gettext as _

from sprechzeit.accounts import access
from sprechzeit.accounts.sessions import host_of, session_host_allows
from sprechzeit.accounts.socket_auth import SCOPE_PLATFORM, scope_host, socket_platform

# A socket refused by the access table is closed with this code before it is accepted.
CLOSE_REFUSED = 4403


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


def _refusal(request: HttpRequest, view_name: str, actors: frozenset[access.Actor]) -> Any:
    """How a refused request is answered: the log-in for a visitor, 403 for anyone else;
    the JSON API (for a platform's clients only) answers 401 in its own error format."""
    if view_name.startswith("api:"):
        body = {
            "code": "not_authenticated",
            "message": str(_("Bitte melden Sie sich als Kunde dieser Plattform an.")),
            "fields": {},
        }
        return JsonResponse(body, status=401)
    if access.Actor.ANONYMOUS in actors:
        login = reverse("admin:login") if view_name.startswith("admin:") else reverse("site:login")
        return redirect_to_login(request.get_full_path(), login)
    raise PermissionDenied


class AccessMiddleware:
    """Enforces `accounts.access`: a URL is served only to the actors its rule names on
    this kind of host; a URL without a rule is refused (deny by default). After the
    authentication, platform-session and OTP middleware; the views keep their own checks."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view: Any, args: Any, kwargs: Any
    ) -> HttpResponse | None:
        if getattr(request, "urlconf", None) or settings.ROOT_URLCONF != access.URLCONF:
            return None  # a test's own URLconf: not the site's URLs
        match = request.resolver_match
        view_name = match.view_name if match is not None else ""
        rule = access.rule_for(view_name)
        platform = getattr(request, "platform", None)
        host = access.host_kind(platform)
        if rule is None:
            raise PermissionDenied(f"{view_name!r} is not in the access table")
        if not (rule.platform if host is access.Host.PLATFORM else rule.network):
            raise Http404("not served on this host")
        actors = access.actors_of(request.user, platform=platform)
        if rule.allows(actors, host):
            return None
        response: HttpResponse = _refusal(request, view_name, actors)
        return response


def _socket_allowed(scope: dict[str, Any], rule: access.Rule | None) -> bool:
    # Looked up with the user, in its transaction (`socket_auth.auth_middleware_stack`).
    served, platform = scope.get(SCOPE_PLATFORM) or socket_platform(scope_host(scope))
    if rule is None or not served:
        return False
    actors = access.actors_of(scope.get("user"), platform=platform)
    return rule.allows(actors, access.host_kind(platform))


class WebSocketAccessMiddleware(BaseMiddleware):  # type: ignore[misc]
    """`accounts.access` for WebSockets: a socket whose route's rule does not name the
    actor on this kind of host, or whose route has no rule, is closed before it is
    accepted (code 4403). Inside HostBoundSessionMiddleware (user and session known)."""

    def __init__(self, inner: Any, routes: list[Any]) -> None:
        super().__init__(inner)
        self.routes = routes

    def _rule(self, path: str) -> access.Rule | None:
        for route in self.routes:
            if route.pattern.match(path.lstrip("/")) is not None:
                return access.WEBSOCKET_RULES.get(str(route.pattern))
        return None

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        rule = self._rule(str(scope.get("path", "")))
        if await database_sync_to_async(_socket_allowed)(scope, rule):
            return await super().__call__(scope, receive, send)
        message = await receive()
        if message.get("type") == "websocket.connect":
            await send({"type": "websocket.close", "code": CLOSE_REFUSED})
        return None
