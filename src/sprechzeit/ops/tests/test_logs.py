"""Structured logs: one JSON line per request with the request id and the user id, and no
personal data; the request id comes from a trusted proxy or is made here."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from ipaddress import ip_network
from typing import Any, cast

import pytest
from celery import shared_task
from django.http import HttpRequest, HttpResponse
from django.test import Client, RequestFactory

from sprechzeit.accounts.tests.factories import client_create
from sprechzeit.core.logs import (
    ContextFilter,
    JsonFormatter,
    TextFormatter,
    log_context,
    log_context_current,
    logging_config,
    redact,
)
from sprechzeit.ops.middleware import RequestContextMiddleware
from sprechzeit.platforms.http import PlatformRequest
from sprechzeit.platforms.tests.factories import platform_create


class Lines:
    def __init__(self, stream: io.StringIO) -> None:
        self.stream = stream

    def all(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.stream.getvalue().splitlines()]

    def request(self) -> dict[str, Any]:
        found = [line for line in self.all() if line["logger"] == "sprechzeit.request"]
        assert len(found) == 1, found
        return found[0]


@pytest.fixture
def json_lines() -> Iterator[Lines]:
    """The production handler (JSON formatter and context filter) on the root logger at
    INFO, writing into a buffer."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(ContextFilter())
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield Lines(stream)
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


@pytest.mark.django_db
def test_a_request_writes_one_json_line_with_request_and_user_id_and_no_email(
    client: Client, json_lines: Lines
) -> None:
    platform = platform_create(slug="coaching")
    account = client_create(platform=platform, email="klara.klient@example.com")
    client.force_login(account.user, backend="sprechzeit.accounts.backends.PlatformEmailBackend")
    response = client.get("/konto/", HTTP_HOST="coaching.localhost")
    assert response.status_code == 200
    request_id = response["X-Request-ID"]
    assert len(request_id) == 32

    raw = json_lines.stream.getvalue()
    assert "klara" not in raw
    assert "@" not in raw
    line = json_lines.request()
    assert line["request_id"] == request_id
    assert line["user_id"] == account.user.pk
    assert line["platform"] == "coaching"
    assert line["level"] == "INFO"
    assert line["view"] == "site:account"
    assert line["status"] == 200
    assert line["method"] == "GET"
    assert isinstance(line["duration_ms"], float)
    assert line["timestamp"].endswith("+00:00")
    assert "konto" not in json.dumps(line)  # URL names, not paths


@pytest.mark.django_db
def test_the_request_id_of_a_trusted_proxy_is_kept_and_anyone_elses_replaced(
    client: Client, settings: Any, json_lines: Lines
) -> None:
    settings.TRUSTED_PROXIES = (ip_network("10.0.0.0/24"),)
    proxied = client.get("/", REMOTE_ADDR="10.0.0.5", HTTP_X_REQUEST_ID="0123456789abcdef0123")
    assert proxied["X-Request-ID"] == "0123456789abcdef0123"
    forged = client.get("/", REMOTE_ADDR="198.51.100.7", HTTP_X_REQUEST_ID="0123456789abcdef0123")
    assert forged["X-Request-ID"] != "0123456789abcdef0123"
    junk = client.get("/", REMOTE_ADDR="10.0.0.5", HTTP_X_REQUEST_ID="<script>alert(1)</script>")
    assert "<" not in junk["X-Request-ID"]
    ids = [
        line["request_id"] for line in json_lines.all() if line["logger"] == "sprechzeit.request"
    ]
    assert ids == [proxied["X-Request-ID"], forged["X-Request-ID"], junk["X-Request-ID"]]


@pytest.mark.django_db
def test_the_views_own_lines_carry_the_context_and_nothing_leaks_after(
    json_lines: Lines, rf: RequestFactory
) -> None:
    platform = platform_create(slug="karten")
    account = client_create(platform=platform)

    def view_chain(request: HttpRequest) -> HttpResponse:
        # What Django does below the middleware: platform and user set, process_view, view.
        cast(PlatformRequest, request).platform = platform
        request.user = account.user
        middleware.process_view(request, view_chain, (), {})
        logging.getLogger("sprechzeit.site.test").warning("inside the view")
        return HttpResponse("ok")

    middleware = RequestContextMiddleware(view_chain)
    response = middleware(rf.get("/"))
    inside = json_lines.all()[0]
    assert inside["message"] == "inside the view"
    assert inside["request_id"] == response["X-Request-ID"]
    assert (inside["platform"], inside["user_id"]) == ("karten", account.user.pk)
    assert log_context_current() == {}
    logging.getLogger("sprechzeit.elsewhere").warning("after the request")
    assert "request_id" not in json_lines.all()[-1]


def test_bound_fields_and_extra_fields_reach_the_line(json_lines: Lines) -> None:
    logger = logging.getLogger("sprechzeit.consultations.test")
    with log_context(consultation_id="c-1", platform="karten"):
        logger.warning("cut off")
        logger.warning("explicit wins", extra={"consultation_id": "c-2"})
    logger.warning("outside")
    first, second, third = json_lines.all()
    assert (first["consultation_id"], first["platform"]) == ("c-1", "karten")
    assert second["consultation_id"] == "c-2"
    assert "consultation_id" not in third


def test_unknown_context_fields_are_refused() -> None:
    with pytest.raises(ValueError, match="email"), log_context(email="x@example.com"):
        pass


def test_personal_data_and_secrets_are_scrubbed_from_every_line(json_lines: Lines) -> None:
    logger = logging.getLogger("sprechzeit.payments.test")
    logger.warning(
        "payout to %s for %s from %s with %s",
        "DE89 3704 0044 0532 0130 00",
        "anna.berger@demo.sprechzeit.de",
        "203.0.113.9",
        "Authorization: Bearer sk_live_abcdef123456",
        extra={"note": "token=abc123secret"},
    )
    try:
        raise ValueError("duplicate key (email)=(anna@example.com)")
    except ValueError:
        logger.exception("failed")
    raw = json_lines.stream.getvalue()
    for secret in ("DE89", "anna", "203.0.113.9", "sk_live", "abc123secret"):
        assert secret not in raw
    first = json_lines.all()[0]
    assert (
        first["message"]
        == "payout to [iban] for [email] from [ip] with Authorization: Bearer [redacted]"
    )
    assert first["note"] == "token=[redacted]"


def test_redact_leaves_ids_and_times_alone() -> None:
    text = "consultation 7d9f0c2e-1b2a-4c3d-9e8f-0a1b2c3d4e5f at 2026-01-05T08:00:00.123+00:00 took 0.25 s"
    assert redact(text) == text


def test_text_format_is_readable_with_the_context() -> None:
    record = logging.LogRecord(
        "sprechzeit.x", logging.INFO, __file__, 1, "hello %s", ("you",), None
    )
    with log_context(request_id="abc123", user_id=7):
        ContextFilter().filter(record)
    line = TextFormatter().format(record)
    assert line.endswith("INFO sprechzeit.x [request_id=abc123 user_id=7] hello you")


def test_logging_config_chooses_the_formatter_and_quiets_uvicorns_access_log() -> None:
    json_config = logging_config(fmt="json", level="INFO")
    assert json_config["handlers"]["console"]["formatter"] == "json"
    assert json_config["loggers"]["uvicorn.access"]["handlers"] == []
    text_config = logging_config(fmt="text", level="INFO")
    assert text_config["handlers"]["console"]["formatter"] == "text"
    assert "uvicorn.access" not in text_config["loggers"]


@shared_task(name="sprechzeit.ops.tests.log_inside_task")
def log_inside_task() -> None:
    logging.getLogger("sprechzeit.ops.tests").warning("inside the task")


def test_a_celery_task_binds_its_name_and_id(json_lines: Lines) -> None:
    log_inside_task.apply(task_id="task-0001")
    line = next(x for x in json_lines.all() if x["message"] == "inside the task")
    assert line["task"] == "sprechzeit.ops.tests.log_inside_task"
    assert line["task_id"] == "task-0001"
    assert log_context_current() == {}
