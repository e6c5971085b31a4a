"""The two middlewares of the operations edge (first in MIDDLEWARE, in this order)."""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable
from typing import Any, Final

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed

from sprechzeit.core import metrics
from sprechzeit.core.logs import log_context_bind, log_context_reset
from sprechzeit.core.net import address_in, peer_address
from sprechzeit.ops import views
from sprechzeit.platforms.http import is_platform_request

request_logger = logging.getLogger("sprechzeit.request")

ENDPOINTS: Final[dict[str, Callable[[HttpRequest], HttpResponse]]] = {
    "/healthz": views.healthz,
    "/readyz": views.readyz,
    "/metrics": views.metrics,
}

# What a proxy's request id may look like (nginx's $request_id is 32 hex digits).
_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{8,128}")
_METHODS: Final = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class OpsEndpointsMiddleware:
    """Answers /healthz, /readyz and /metrics before anything else runs: no host check
    (load balancers call nodes by IP), no platform, no session, no CSRF, no HTTPS redirect,
    no request log line. Every other request passes through untouched."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        endpoint = ENDPOINTS.get(request.path_info)
        if endpoint is None:
            return self.get_response(request)
        if request.method not in ("GET", "HEAD"):
            return HttpResponseNotAllowed(["GET", "HEAD"])
        return endpoint(request)


def request_id_for(request: HttpRequest) -> str:
    """The proxy's X-Request-ID when the direct peer is one of TRUSTED_PROXIES and the
    value looks like an id; a fresh one otherwise (a client cannot choose it)."""
    offered = str(request.META.get("HTTP_X_REQUEST_ID") or "")
    if _REQUEST_ID.fullmatch(offered) and address_in(
        peer_address(request), getattr(settings, "TRUSTED_PROXIES", ())
    ):
        return offered
    return uuid.uuid4().hex


def _user_id(request: HttpRequest) -> int | None:
    user: Any = getattr(request, "user", None)
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return int(user.pk)


def _platform_slug(request: HttpRequest) -> str | None:
    # This middleware runs before the platform's: the attribute exists once that has run.
    if not is_platform_request(request) or request.platform is None:
        return None
    return request.platform.slug


class RequestContextMiddleware:
    """Per request: an id (echoed in `X-Request-ID`), the log context (request id, then
    platform and user once they are known), one log line when it is answered and the
    latency metric labelled by URL name (never by raw path)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = request_id_for(request)
        request.request_id = request_id  # type: ignore[attr-defined]
        token = log_context_bind(request_id=request_id)
        started = time.perf_counter()
        status = 500
        try:
            response = self.get_response(request)
            status = response.status_code
            response["X-Request-ID"] = request_id
            return response
        finally:
            seconds = time.perf_counter() - started
            match = getattr(request, "resolver_match", None)
            view = match.view_name if match is not None else "unresolved"
            method = request.method if request.method in _METHODS else "other"
            metrics.observe_http_request(
                view=view, method=str(method), status=status, seconds=seconds
            )
            request_logger.info(
                "%s %s %s",
                method,
                view,
                status,
                extra={
                    "method": method,
                    "view": view,
                    "status": status,
                    "duration_ms": round(seconds * 1000, 1),
                    "platform": _platform_slug(request),
                    "user_id": _user_id(request),
                },
            )
            log_context_reset(token)

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., Any],
        view_args: Any,
        view_kwargs: Any,
    ) -> None:
        # Platform and user are set by the middlewares below this one: bind them now, so
        # the view's own log lines carry them too (reset with the request's token).
        log_context_bind(platform=_platform_slug(request), user_id=_user_id(request))
