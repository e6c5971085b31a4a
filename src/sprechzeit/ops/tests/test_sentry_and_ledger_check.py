"""Sentry starts only with SENTRY_DSN (and without personal data); the nightly ledger
check reports a broken ledger in the log and in /metrics."""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
import textwrap
from typing import Any

import pytest
from celery import current_app
from django.db.models import F
from django.test import Client

from sprechzeit.core import metrics
from sprechzeit.core.logs import ContextFilter, JsonFormatter
from sprechzeit.ledger.models import Account
from sprechzeit.ledger.tasks import ledger_check_nightly
from sprechzeit.ledger.tests.factories import funded_wallet
from sprechzeit.ledger.tests.helpers import assert_ledger_sound
from sprechzeit.ops.tests.test_metrics import samples

# Loopback, a port nothing answers on: no report can leave the machine.
DSN = "http://0123456789abcdef0123456789abcdef@127.0.0.1:9/1"

PROBE = textwrap.dedent(
    """
    import json, django, sentry_sdk
    django.setup()
    client = sentry_sdk.get_client()
    print(json.dumps({
        "active": client.is_active(),
        "pii": client.options.get("send_default_pii"),
        "locals": client.options.get("include_local_variables"),
        "integrations": sorted(client.integrations),
    }))
    sentry_sdk.flush(timeout=0)
    """
)


def probe(**env: str) -> dict[str, Any]:
    environ = {
        key: value
        for key, value in os.environ.items()
        if key not in ("SENTRY_DSN", "PYTEST_VERSION", "PYTEST_CURRENT_TEST")
    }
    environ.update(
        {"SPRECHZEIT_MODE": "test", "DJANGO_SETTINGS_MODULE": "sprechzeit.config.settings"}
    )
    environ.update(env)
    done = subprocess.run(
        [sys.executable, "-c", PROBE], env=environ, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_sentry_is_off_without_a_dsn() -> None:
    assert probe()["active"] is False


def test_sentry_reports_with_a_dsn_without_personal_data() -> None:
    started = probe(SENTRY_DSN=DSN)
    assert started["active"] is True
    assert started["pii"] is False
    assert started["locals"] is False
    assert {"django", "celery"} <= set(started["integrations"])


@pytest.fixture
def error_lines() -> Any:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(ContextFilter())
    logger = logging.getLogger("sprechzeit.ledger.tasks")
    logger.addHandler(handler)
    try:
        yield stream
    finally:
        logger.removeHandler(handler)


@pytest.mark.django_db
def test_the_nightly_check_of_a_sound_ledger_reports_ok(client: Client) -> None:
    funded_wallet(1500)
    assert ledger_check_nightly.delay().get() is True
    text = client.get("/metrics").content.decode()
    found = samples(text)
    assert found[("sprechzeit_ledger_check_ok", frozenset())] == 1
    assert found[("sprechzeit_ledger_check_last_run_timestamp_seconds", frozenset())] > 0
    assert_ledger_sound()


@pytest.mark.django_db
def test_the_nightly_check_of_a_broken_ledger_logs_an_error_and_alerts(
    client: Client, error_lines: io.StringIO
) -> None:
    failures_before = metrics.LEDGER_CHECK_FAILURES._value.get()
    wallet = funded_wallet(1500)
    # A counter that no transfer explains: what the replay exists to catch.
    Account.objects.filter(pk=wallet.pk).update(credits_posted=F("credits_posted") + 1)

    assert ledger_check_nightly.delay().get() is False

    line = json.loads(error_lines.getvalue().splitlines()[-1])
    assert line["level"] == "ERROR"
    assert line["message"].startswith("ledger check failed: ")
    assert line["task"] == "sprechzeit.ledger.tasks.ledger_check_nightly"
    assert any("counters = replay" in violation for violation in line["violations"])
    assert metrics.LEDGER_CHECK_FAILURES._value.get() == failures_before + 1
    found = samples(client.get("/metrics").content.decode())
    assert found[("sprechzeit_ledger_check_ok", frozenset())] == 0
    assert found[("sprechzeit_ledger_check_failures_total", frozenset())] >= 1
    # Repair what the test broke: the suite's own ledger stays sound.
    Account.objects.filter(pk=wallet.pk).update(credits_posted=F("credits_posted") - 1)
    assert_ledger_sound()


def test_the_nightly_check_is_in_beats_schedule() -> None:
    app = current_app
    assert app.main == "sprechzeit"
    entry = app.conf.beat_schedule["ledger-check-nightly"]
    assert entry["task"] == ledger_check_nightly.name
    assert entry["task"] in app.tasks
