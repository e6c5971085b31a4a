from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse


class PlatformSessionMiddleware:
    """A client's login counts only on its own platform.

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
        ):
            request.user = AnonymousUser()
        return self.get_response(request)
