"""The one door of tenancy: resolve the request's platform from its Host header."""

from __future__ import annotations

from collections.abc import Callable
from typing import cast

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseNotFound
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.cache import patch_vary_headers

from sprechzeit.platforms.errors import PlatformInactive, UnknownHost
from sprechzeit.platforms.http import PlatformRequest
from sprechzeit.platforms.models import Platform
from sprechzeit.platforms.selectors import normalise_host, platform_for_host


def chosen_language(request: HttpRequest, *, platform: Platform | None) -> str:
    """German first: the visitor's remembered choice (the switch's cookie), else the
    platform's default locale, else LANGUAGE_CODE. Accept-Language is ignored on purpose."""
    supported = {code for code, _name in settings.LANGUAGES}
    for candidate in (
        request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, ""),
        platform.default_locale if platform is not None else "",
    ):
        if candidate in supported:
            return candidate
    return str(settings.LANGUAGE_CODE)


class PlatformMiddleware:
    """Sets `request.platform` (a Platform, or None on the network's own hosts): the
    request is a `PlatformRequest` from here on.

    An unknown or inactive host gets a friendly 404 page, never a crash. Runs before the
    session middleware so nothing of a platform is touched for a host that has none.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.network_hosts = frozenset(settings.SPRECHZEIT_NETWORK_HOSTS)

    def __call__(self, plain: HttpRequest) -> HttpResponse:
        request = cast(PlatformRequest, plain)  # what it becomes here, for every layer below
        # The raw header, not get_host(): ALLOWED_HOSTS is checked later by CommonMiddleware
        # and an unknown host deserves our own page, not DisallowedHost's 400.
        host = normalise_host(request.META.get("HTTP_HOST") or request.META.get("SERVER_NAME", ""))
        request.platform = None
        if host not in self.network_hosts:
            try:
                request.platform = platform_for_host(host=host)
            except PlatformInactive:
                return self._not_served(request, host, inactive=True)
            except UnknownHost:
                return self._not_served(request, host, inactive=False)
        return self.get_response(request)

    @staticmethod
    def _not_served(request: HttpRequest, host: str, *, inactive: bool) -> HttpResponse:
        with translation.override(chosen_language(request, platform=None)):
            body = render_to_string(
                "platforms/not_served.html", {"host": host, "inactive": inactive}, request=None
            )
        return HttpResponseNotFound(body)


class PlatformLocaleMiddleware:
    """German first: the language is the visitor's remembered choice (the language cookie
    set by the switch), else the platform's default locale, else LANGUAGE_CODE (de).

    Unlike Django's LocaleMiddleware it ignores Accept-Language on purpose: every page and
    document is German unless a person picks English.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: PlatformRequest) -> HttpResponse:
        chosen = chosen_language(request, platform=request.platform)
        translation.activate(chosen)
        request.LANGUAGE_CODE = chosen
        response = self.get_response(request)
        patch_vary_headers(response, ("Cookie",))
        response.headers.setdefault("Content-Language", chosen)
        return response
