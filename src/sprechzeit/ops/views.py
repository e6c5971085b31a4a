"""/healthz, /readyz and /metrics. Reached through `OpsEndpointsMiddleware` only, before
host checks, sessions and CSRF: load balancers and Prometheus call nodes by address."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse

from sprechzeit.core.metrics import exposition
from sprechzeit.ops.access import metrics_access_allowed
from sprechzeit.ops.collectors import CacheCollector, DatabaseCollector
from sprechzeit.ops.readiness import readiness_checks


def _no_store(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store"
    return response


def healthz(request: HttpRequest) -> HttpResponse:
    """The process answers; touches nothing else (a database outage must not make the
    orchestrator restart healthy processes)."""
    return _no_store(JsonResponse({"status": "ok"}))


def readyz(request: HttpRequest) -> HttpResponse:
    """200 when every dependency answers, else 503; the body names each check."""
    checks = readiness_checks()
    ready = all(check.ok for check in checks)
    body = {
        "status": "ok" if ready else "unavailable",
        "checks": {check.name: check.as_dict() for check in checks},
    }
    return _no_store(JsonResponse(body, status=200 if ready else 503))


def metrics(request: HttpRequest) -> HttpResponse:
    """The Prometheus text format, for allowed addresses or the bearer token only."""
    if not metrics_access_allowed(request):
        return _no_store(HttpResponse("Forbidden\n", status=403, content_type="text/plain"))
    body, content_type = exposition(
        multiprocess_dir=settings.PROMETHEUS_MULTIPROC_DIR,
        extra=(DatabaseCollector(), CacheCollector()),
    )
    return _no_store(HttpResponse(body, content_type=content_type))
