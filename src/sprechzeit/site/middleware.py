"""The site's own middleware: the one door from a `DomainError` to a page (the JSON API
has its own: `api.handlers`), the Content-Security-Policy, the back office only on the
network's own hosts, and NUL characters refused before any view reads them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import DisallowedHost
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.middleware import csp
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils.csp import CSP, build_policy
from django.utils.translation import gettext as _

from sprechzeit.core.errors import DomainError
from sprechzeit.core.http import back_to
from sprechzeit.core.inputs import InvalidInput

# The back office: Django's admin and the staff pages (downloads, invitations). On a
# platform's host they do not exist (404), so a platform's visitors never see them and a
# staff session never acts there.
NETWORK_ONLY_PREFIXES = ("/admin/", "/verwaltung/")


class NetworkOnlyMiddleware:
    """404 for the back office's paths on a platform's host (after PlatformMiddleware)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if getattr(request, "platform", None) is not None and request.path.startswith(
            NETWORK_ONLY_PREFIXES
        ):
            raise Http404("the back office is served on the network's hosts only")
        return self.get_response(request)


def _websocket_origin(request: HttpRequest) -> str | None:
    """`wss://host[:port]` of the request (`ws://` over plain HTTP), or None for a host
    that is not allowed (the response is an error page then, and needs no socket)."""
    try:
        host = request.get_host()
    except DisallowedHost:
        return None
    return f"{'wss' if request.is_secure() else 'ws'}://{host}"


class ContentSecurityPolicyMiddleware(csp.ContentSecurityPolicyMiddleware):
    """Django's CSP middleware, with connect-src naming the WebSocket origin of the
    request's own host: not every browser lets 'self' cover ws:/wss: (CSP level 3 does),
    and the consultation pages talk to /ws/… on the host they were served from."""

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        config: dict[str, Any] | None = getattr(response, "_csp_config", settings.SECURE_CSP)
        origin = _websocket_origin(request)
        if config and origin and CSP.HEADER_ENFORCE not in response:
            connect = [*config.get("connect-src", [CSP.SELF]), origin]
            response.headers[CSP.HEADER_ENFORCE] = build_policy(
                {**config, "connect-src": connect}, csp.get_nonce(request)
            )
        result: HttpResponse = super().process_response(request, response)
        return result


def _title(status: int) -> str:
    titles = {
        403: _("Kein Zugriff"),
        404: _("Seite nicht gefunden"),
        429: _("Zu viele Anfragen"),
        503: _("Vorübergehend nicht verfügbar"),
    }
    return titles.get(status, _("Das ist leider nicht möglich"))


class DomainErrorMiddleware:
    """A `DomainError` that leaves a page view is answered here, never as a 500.

    A form action that declared `core.http.back_on_domain_error` sends its user back there
    with the error's message (302, post/redirect/get); any other view answers the error
    page with the message, at the error's `http_status`. Views keep their own `except`
    only where they re-render a form with the error beside a field.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, DomainError):
            return None
        match = request.resolver_match
        back = back_to(match.func) if match is not None else None
        if match is not None and back is not None:
            messages.error(request, str(exception.message))
            try:
                url = reverse(back, kwargs=match.kwargs)
            except NoReverseMatch:
                url = reverse(back)
            return HttpResponseRedirect(url)
        return domain_error_page(request, exception)


def domain_error_page(request: HttpRequest, exception: DomainError) -> HttpResponse:
    """The error page of a `DomainError`, at its `http_status` (JSON for the API and the
    webhooks, whose callers are programs)."""
    status = exception.http_status
    if request.path.startswith(RAW_BODY_PREFIXES):
        return JsonResponse(exception.as_dict(), status=status)
    return render(
        request,
        "site/error.html",
        {"status": status, "title": _title(status), "text": str(exception.message)},
        status=status,
    )


_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
RAW_BODY_PREFIXES = ("/api/", "/hooks/")


class NulInputMiddleware:
    """A NUL character in a query string or a form field is refused with a 400 here,
    before any view: no value of ours may hold one, and PostgreSQL refuses it in text
    (a 500 deep in a query otherwise). Django's form fields refuse it too, but many
    views read a parameter directly. JSON bodies are checked by their own parsers."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if _carries_nul(request):
            refused = InvalidInput(_("Die Anfrage enthält ein unzulässiges Steuerzeichen."))
            return domain_error_page(request, refused)
        return self.get_response(request)


def _carries_nul(request: HttpRequest) -> bool:
    sources = [request.GET]
    # The JSON API and the webhooks read their raw body themselves (and refuse forms).
    if (
        request.method == "POST"
        and request.content_type in _FORM_TYPES
        and not request.path.startswith(RAW_BODY_PREFIXES)
    ):
        try:
            sources.append(request.POST)
        except MultiPartParserError:
            return False  # the view answers the unreadable body (Django: 400)
    return any(
        "\x00" in key or any("\x00" in value for value in values)
        for source in sources
        for key, values in source.lists()
    )
