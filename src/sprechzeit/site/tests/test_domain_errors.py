"""The one door from domain errors to pages: every `DomainError` leaving a page view is
answered at its own `http_status` (never 500), on the error page with its message or, for
a form action that declared where to go back to, there with the message."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils.html import escape

from sprechzeit.accounts.tests.factories import client_create
from sprechzeit.core.errors import HTTP_STATUSES, DomainError
from sprechzeit.platforms.tests.factories import platform_create
from sprechzeit.site.tests.urls_domain_errors import ERRORS

pytestmark = [pytest.mark.django_db, pytest.mark.urls("sprechzeit.site.tests.urls_domain_errors")]


def test_every_domain_error_declares_a_status_that_is_not_a_server_error() -> None:
    assert len(ERRORS) > 80  # the walk found the apps' errors, not just the base
    for cls in ERRORS:
        assert cls.http_status in HTTP_STATUSES, cls
    statuses = {cls.__name__: cls.http_status for cls in ERRORS}
    assert statuses["DomainError"] == 400
    assert statuses["WalletBlocked"] == 403
    assert statuses["ConsultationNotFound"] == 404
    assert statuses["PeriodAlreadyClosed"] == 409
    assert statuses["DocumentInvalid"] == 422
    assert statuses["ContactRateLimited"] == 429
    assert statuses["LedgerBusy"] == 503


def test_a_page_that_raises_any_domain_error_answers_its_status_with_the_message() -> None:
    platform = platform_create()
    browser = Client(raise_request_exception=False)
    for index, cls in enumerate(ERRORS):
        response = browser.get(
            f"/test/domain-error/{index}/", headers={"host": f"{platform.slug}.localhost"}
        )
        assert response.status_code == cls.http_status, cls
        assert escape(str(cls.default_message)) in response.content.decode(), cls
        assert "site/error.html" in [t.name for t in response.templates], cls


def test_a_form_action_goes_back_where_it_declared_with_the_message() -> None:
    platform = platform_create()
    account = client_create(platform=platform)
    browser = Client(raise_request_exception=False)
    browser.force_login(account.user)
    headers = {"host": f"{platform.slug}.localhost"}
    for index, cls in enumerate(ERRORS):
        response = browser.post(f"/test/domain-error/{index}/back/", headers=headers, follow=True)
        assert response.redirect_chain == [("/kontakt/danke/", 302)], cls
        assert response.status_code == 200, cls
        assert escape(str(cls.default_message)) in response.content.decode(), cls
    # The target is filled from the view's own URL arguments where they fit.
    response = browser.get("/test/domain-error/listing/bea-1/", headers=headers)
    assert response.status_code == 302
    assert response["Location"] == "/berater/bea-1/"


def test_other_exceptions_are_left_to_django() -> None:
    platform = platform_create()
    browser = Client()
    with pytest.raises(IndexError):
        browser.get(
            f"/test/domain-error/{len(ERRORS)}/", headers={"host": f"{platform.slug}.localhost"}
        )
    assert issubclass(ERRORS[0], DomainError)
