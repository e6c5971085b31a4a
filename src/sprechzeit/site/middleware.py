"""The one door from a `DomainError` to a page (the JSON API has its own: `api.handlers`)."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

from sprechzeit.core.errors import DomainError
from sprechzeit.core.http import back_to


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
        status = exception.http_status
        return render(
            request,
            "site/error.html",
            {"status": status, "title": _title(status), "text": str(exception.message)},
            status=status,
        )
