"""The one door from domain errors to the JSON API: every `DomainError` an operation raises
is answered `{"code", "message", "fields"}` at its own `http_status`, never a 500."""

from __future__ import annotations

import pytest
from django.test import Client

from sprechzeit.api.tests.urls_raising import ERRORS
from sprechzeit.core.errors import DomainError
from sprechzeit.wallets.errors import WalletBlocked

pytestmark = pytest.mark.urls("sprechzeit.api.tests.urls_raising")


def test_every_domain_error_is_answered_at_its_status() -> None:
    api = Client(raise_request_exception=False)
    assert len(ERRORS) > 80
    for index, cls in enumerate(ERRORS):
        response = api.get(f"/test-api/raise/{index}")
        assert response.status_code == cls.http_status, cls
        assert response.status_code < 500 or cls.http_status == 503, cls
        assert response["Content-Type"].startswith("application/json")
        assert response.json() == cls().as_dict(), cls
        posted = api.post(f"/test-api/raise/{index}", data=b"{}", content_type="application/json")
        assert posted.status_code == cls.http_status, cls


def test_the_fields_and_message_of_the_raised_error_are_kept() -> None:
    index = ERRORS.index(WalletBlocked)
    api = Client()
    body = api.get(f"/test-api/raise/{index}").json()
    assert body["code"] == "wallet_blocked"
    assert body["message"].startswith("Ihr Konto ist gesperrt")
    assert body["fields"] == {}
    assert issubclass(WalletBlocked, DomainError)
