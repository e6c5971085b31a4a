"""The site's URLs plus views that raise every `DomainError` there is (test_domain_errors)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, URLResolver, include, path
from django.views.decorators.http import require_POST

from sprechzeit.core.http import back_on_domain_error
from sprechzeit.core.tests.domain_errors import all_domain_errors

ERRORS = all_domain_errors()


def raise_error(request: HttpRequest, index: int) -> HttpResponse:
    raise ERRORS[index]()


@login_required
@require_POST
@back_on_domain_error("site:contact_done")  # a light page to land on
def raise_error_back(request: HttpRequest, index: int) -> HttpResponse:
    raise ERRORS[index]()


@back_on_domain_error("site:listing")
def raise_error_back_to_listing(request: HttpRequest, slug: str) -> HttpResponse:
    raise ERRORS[0]()


urlpatterns: list[URLPattern | URLResolver] = [
    path("test/domain-error/<int:index>/", raise_error),
    path("test/domain-error/<int:index>/back/", raise_error_back),
    path("test/domain-error/listing/<slug:slug>/", raise_error_back_to_listing),
    path("", include("sprechzeit.config.urls")),
]
