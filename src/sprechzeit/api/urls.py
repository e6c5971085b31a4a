"""The API's one instance, mounted at /api/ by config/urls.py: v1 under /api/v1/, the
generated OpenAPI document at /api/openapi.json (URL names in the namespace `api`)."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path
from ninja import NinjaAPI

from sprechzeit.api import handlers, v1
from sprechzeit.api.auth import ClientSession

api = NinjaAPI(
    title="Sprechzeit API",
    version="1",
    description="The client's wallet: balance, top-ups, payments. See docs/api.md.",
    urls_namespace="api",
    openapi_url="/openapi.json",
    docs_url=None,  # no Swagger page: it loads scripts from a CDN (CSP) and is not needed
    auth=ClientSession(),
    parser=handlers.StrictJsonParser(),
)
handlers.install(api)
api.add_router("/v1/", v1.router)

urlpatterns: list[URLPattern | URLResolver] = [path("", api.urls)]
