"""A bounded fuzz run of the API against its own generated schema (schemathesis): valid
and invalid requests of every operation, sent as a logged-in client, must never get a
5xx, and every answer must be one the schema documents (status, content type, body).

Seeded (derandomize) and bounded (MAX_EXAMPLES); runs once, in the SQLite pass.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import schemathesis
from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import got_request_exception, request_finished, request_started
from django.db import close_old_connections, connection
from django.test import Client
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from schemathesis.checks import (
    content_type_conformance,
    negative_data_rejection,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.generation import GenerationMode
from werkzeug.test import Client as WerkzeugClient

from sprechzeit.api.urls import api as json_api
from sprechzeit.ledger.tests.helpers import assert_ledger_sound
from sprechzeit.payments.models import Payment, ProviderKind
from sprechzeit.payments.tests.factories import (
    channel,
    client,
    provider_config,
    sandbox_setup,
)

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

MAX_EXAMPLES = 300
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
]

# A config of its own, so that no schemathesis.toml found on the way changes the run.
SCHEMA = schemathesis.openapi.from_dict(json_api.get_openapi_schema(), config=schemathesis.Config())
# Every request is a logged-in client's; refusing anonymous ones is test_api's business.
SCHEMA.config.generation.update(with_security_parameters=False)
CASES = st.one_of(
    SCHEMA.as_strategy(generation_mode=GenerationMode.POSITIVE),
    SCHEMA.as_strategy(generation_mode=GenerationMode.NEGATIVE),
)
TOPUPS = SCHEMA["/api/v1/wallet/topups"]["POST"].as_strategy()


@st.composite
def steered_topups(draw: st.DrawFn, channel_ids: list[int]) -> schemathesis.Case[Any]:
    """Valid top-ups that name one of the platform's channels in its currency: random
    ones rarely do, and stop at the channel lookup before the payment is started."""
    case = draw(TOPUPS)
    if isinstance(case.body, dict):
        case.body["channel_id"] = draw(st.sampled_from(channel_ids))
        case.body["currency"] = draw(st.sampled_from(["EUR", None]))
    return case


@dataclass
class InProcess:
    app: WSGIHandler
    errors: list[BaseException]


@pytest.fixture
def in_process() -> Iterator[InProcess]:
    """The whole Django stack in this thread and this test's transaction: like Django's
    test client, keep the connection open across requests, and collect what a view
    raised (a 500 page alone would not say what broke)."""
    errors: list[BaseException] = []

    def remember(sender: object, **kwargs: object) -> None:
        error = sys.exc_info()[1]
        if error is not None:
            errors.append(error)

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    got_request_exception.connect(remember)
    try:
        yield InProcess(app=WSGIHandler(), errors=errors)
    finally:
        got_request_exception.disconnect(remember)
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def test_fuzzing_the_api_finds_no_server_error_and_no_undocumented_answer(
    in_process: InProcess,
) -> None:
    if connection.vendor != "sqlite":
        pytest.skip("one pass is enough: the API fuzz run is the SQLite pass's")
    # A channel that takes almost any amount, so valid requests often open a checkout.
    platform, _config, policy = sandbox_setup(min_minor=1, max_minor=100_000_000)
    platform.legal_entity.iban = "DE89370400440532013000"
    platform.legal_entity.save()
    bank = channel(provider_config(platform, ProviderKind.BANK_TRANSFER), "bank_transfer")
    account = client(platform)
    browser = Client()
    browser.force_login(account.user)
    host = f"{platform.slug}.localhost"
    base_url = f"http://{host}"
    # The client's session cookie, for the platform's host (schemathesis' own cookie
    # handling is for the host "localhost" only).
    logged_in = WerkzeugClient(in_process.app)
    logged_in.set_cookie(
        settings.SESSION_COOKIE_NAME,
        browser.cookies[settings.SESSION_COOKIE_NAME].value,
        domain=host,
    )
    seen: dict[int, int] = {}

    @hypothesis_settings(
        max_examples=MAX_EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    @given(case=st.one_of(CASES, steered_topups([policy.pk, bank.pk])))
    def fuzz(case: schemathesis.Case[Any]) -> None:
        # The WSGI transport takes a werkzeug Client as its session (typed for requests').
        response = case.call(base_url=base_url, session=logged_in, app=in_process.app)  # type: ignore[arg-type]
        seen[response.status_code] = seen.get(response.status_code, 0) + 1
        assert not in_process.errors, in_process.errors
        case.validate_response(response, checks=CHECKS)

    fuzz()
    # The run reached both sides: checkouts were opened and requests were refused.
    assert seen.get(201, 0) > 0, seen
    assert sum(count for status, count in seen.items() if 400 <= status < 500) > 0, seen
    assert sum(seen.values()) >= MAX_EXAMPLES // 2, seen
    assert Payment.objects.filter(client_account=account).count() == seen.get(201, 0)
    assert_ledger_sound()
