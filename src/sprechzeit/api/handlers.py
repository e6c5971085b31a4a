"""The one door from errors to API responses: every refusal answers `schemas.Error`
(`{"code", "message", "fields"}`), a `DomainError` with its own `http_status`.

Also the guard in front of every operation: unsafe requests must be JSON (the API's CSRF
defence, see `auth.ClientSession`) and small.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.parser import Parser

from sprechzeit.core.errors import DomainError

MAX_BODY_BYTES = 16 * 1024  # a top-up request is under 200 bytes
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class Refusal(HttpError):
    """A request refused at the door, before an operation reads it."""

    def __init__(self, status: int, code: str, message: str | Promise) -> None:
        super().__init__(status, str(message))
        self.code = code
        self.text = message


class StrictJsonParser(Parser):
    """RFC 8259 JSON only: `NaN` and `Infinity` (which Python's json module accepts) are
    refused like any other unreadable body."""

    def parse_body(self, request: HttpRequest) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(request.body, parse_constant=_refuse_constant)
        return data


def _refuse_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def _error(
    api: NinjaAPI,
    request: HttpRequest,
    status: int,
    code: str,
    message: str | Promise,
    fields: dict[str, Any] | None = None,
) -> HttpResponse:
    body = {"code": code, "message": str(message), "fields": fields or {}}
    return api.create_response(request, body, status=status)


def _field_path(location: tuple[Any, ...] | list[Any]) -> str:
    # ("body", "payload", "amount_minor") → "amount_minor"; the source and the parameter's
    # name are ninja's, the rest is the client's.
    parts = [str(part) for part in location[2:]] if location[:1] == ("body",) else []
    if not parts:
        parts = [str(part) for part in location[1:]] or ["body"]
    return ".".join(parts)


def install(api: NinjaAPI) -> None:
    """Register the handlers and the guard on `api` (the real one, and the tests')."""

    @api.exception_handler(DomainError)
    def domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
        return api.create_response(request, exc.as_dict(), status=exc.http_status)

    @api.exception_handler(ValidationError)
    def invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        fields: dict[str, Any] = {}
        for error in exc.errors:
            fields.setdefault(_field_path(tuple(error.get("loc", ()))), str(error.get("msg", "")))
        return _error(api, request, 400, "invalid_request", _("Die Anfrage ist ungültig."), fields)

    @api.exception_handler(AuthenticationError)
    def unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        return _error(
            api,
            request,
            401,
            "not_authenticated",
            _("Bitte melden Sie sich als Kunde dieser Plattform an."),
        )

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        if isinstance(exc, Refusal):
            return _error(api, request, exc.status_code, exc.code, exc.text)
        if exc.status_code == 400:  # the only one ninja raises: a body it cannot parse
            return _error(
                api, request, 400, "invalid_json", _("Der Inhalt ist kein gültiges JSON.")
            )
        return _error(api, request, exc.status_code, f"http_{exc.status_code}", str(exc))

    @api.exception_handler(RequestDataTooBig)
    def too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
        return _error(api, request, 413, "body_too_large", _("Die Anfrage ist zu groß."))

    @api.exception_handler(Http404)
    def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return _error(api, request, 404, "not_found", _("Das gibt es hier nicht."))

    api.add_decorator(_guard(api), mode="view")


def _refusal(request: HttpRequest) -> Refusal | None:
    if request.method in SAFE_METHODS:
        return None
    if request.content_type != "application/json":
        return Refusal(415, "unsupported_media_type", _("Bitte als application/json senden."))
    too_large = Refusal(413, "body_too_large", _("Die Anfrage ist zu groß."))
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0  # Django reads no more than the body it was given
    if declared > MAX_BODY_BYTES:
        return too_large  # refused before the body is read
    try:
        size = len(request.body)
    except RequestDataTooBig:
        return too_large
    return too_large if size > MAX_BODY_BYTES else None


def _guard(api: NinjaAPI) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    def decorate(run: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(run)
        def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            refusal = _refusal(request)
            if refusal is not None:
                return api.on_exception(request, refusal)
            return run(request, *args, **kwargs)

        return guarded

    return decorate
