"""An API with the real door (handlers.install) and one operation that raises any
`DomainError` by index (test_errors), next to the real URLs."""

from __future__ import annotations

from django.http import HttpRequest
from django.urls import URLPattern, URLResolver, include, path
from ninja import NinjaAPI

from sprechzeit.api import handlers
from sprechzeit.core.tests.domain_errors import all_domain_errors

ERRORS = all_domain_errors()

raising = NinjaAPI(urls_namespace="test-raising", openapi_url=None, docs_url=None)
handlers.install(raising)


@raising.get("/raise/{index}")
def raise_error(request: HttpRequest, index: int) -> None:
    raise ERRORS[index]()


@raising.post("/raise/{index}")
def raise_error_on_post(request: HttpRequest, index: int) -> None:
    raise ERRORS[index]()


urlpatterns: list[URLPattern | URLResolver] = [
    path("test-api/", raising.urls),
    path("", include("sprechzeit.config.urls")),
]
