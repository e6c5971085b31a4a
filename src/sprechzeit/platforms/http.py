"""The request as the tenancy door leaves it: typed, so a view reads `request.platform`
as a declared attribute instead of an undeclared one under `type: ignore`."""

from __future__ import annotations

from typing import TypeGuard

from django.http import HttpRequest

from sprechzeit.platforms.models import Platform


class PlatformRequest(HttpRequest):
    """An `HttpRequest` that has passed `PlatformMiddleware` (every request of a page, the
    API and the webhooks does): `platform` is the platform served at the request's host,
    None on the network's own hosts. Views annotate their request with this type; it is
    a declaration only, Django still passes its own request object."""

    platform: Platform | None


def is_platform_request(request: HttpRequest) -> TypeGuard[PlatformRequest]:
    """Whether `request` has passed `PlatformMiddleware`, for code that is handed a plain
    `HttpRequest` by a library (the API's authentication, for one)."""
    return hasattr(request, "platform")
