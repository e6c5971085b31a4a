"""Who a WebSocket is and on which platform's host it came in, read in one transaction.

Channels' `AuthMiddlewareStack` reads the session and then the user (two statements in
autocommit: two transactions), and the access check (`middleware.WebSocketAccessMiddleware`)
then looks the host up (a third). `auth_middleware_stack` is the same stack whose user
resolution also looks the host up, all in one transaction; the access check takes the
host's platform from the scope (`SCOPE_PLATFORM`). Every room socket of a consultation
connects through here, so this is one transaction per socket instead of three
(docs/performance.md).
"""

from __future__ import annotations

from typing import Any, Final

from channels.auth import AuthMiddleware, get_user
from channels.db import database_sync_to_async
from channels.sessions import CookieMiddleware, SessionMiddleware
from django.conf import settings
from django.db import transaction

from sprechzeit.accounts.sessions import host_of
from sprechzeit.core.errors import DomainError
from sprechzeit.platforms.selectors import platform_for_host

# (served, platform) of the socket's host, put in the scope by the user resolution.
SCOPE_PLATFORM: Final = "sprechzeit_socket_platform"
# Channels' `get_user` is a database_sync_to_async wrapper; `.func` is its sync body.
_get_user_sync = get_user.func


def socket_platform(host: str) -> tuple[bool, Any]:
    """(served, platform) for a socket's host: a network host serves with no platform."""
    if host in settings.SPRECHZEIT_NETWORK_HOSTS:
        return True, None
    try:
        return True, platform_for_host(host=host)
    except DomainError:
        return False, None


def scope_host(scope: dict[str, Any]) -> str:
    headers = dict(scope.get("headers", []))
    return host_of({"HTTP_HOST": headers.get(b"host", b"").decode("latin-1")})


def _user_and_platform(scope: dict[str, Any]) -> Any:
    with transaction.atomic():
        user = _get_user_sync(scope)
        scope[SCOPE_PLATFORM] = socket_platform(scope_host(scope))
    return user


class OneTransactionAuthMiddleware(AuthMiddleware):  # type: ignore[misc]
    """Channels' AuthMiddleware whose session, user and host look-ups share a transaction."""

    async def resolve_scope(self, scope: dict[str, Any]) -> None:
        scope["user"]._wrapped = await database_sync_to_async(_user_and_platform)(scope)


def auth_middleware_stack(inner: Any) -> Any:
    """`channels.auth.AuthMiddlewareStack` with `OneTransactionAuthMiddleware`."""
    return CookieMiddleware(SessionMiddleware(OneTransactionAuthMiddleware(inner)))
