"""The URLconf of the pages benchmark's server (bench/web_settings.py): every URL of the
product, and a bare view at /__bench__/bare/ that answers a short text without touching
the database, through the same middleware as any page.

The access table (`accounts.access`) checks requests only against the product's URLconf;
here it is told to check this one, with a public rule for the bare view, so the pages are
served under exactly the checks they get in production. Nothing of this is mounted
outside the benchmark.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, URLResolver, path

from sprechzeit.accounts import access
from sprechzeit.config import urls as product

BARE_PATH = "/__bench__/bare/"


def bare(request: HttpRequest) -> HttpResponse:
    """The floor of a request to this server: the middleware, no view work, no query."""
    return HttpResponse("ok", content_type="text/plain; charset=utf-8")


urlpatterns: list[URLPattern | URLResolver] = [
    path(BARE_PATH.strip("/") + "/", bare, name="bench_bare"),
    *product.urlpatterns,
]
handler400 = product.handler400
handler403 = product.handler403
handler404 = product.handler404
handler500 = product.handler500

access.URL_RULES["bench_bare"] = access.public("Benchmark: the bare view", network=True)
access.URLCONF = __name__  # type: ignore[misc]
