"""/metrics: Prometheus' text format, from allowed addresses or with the token only; the
gauges read the database at scrape time; HTTP latency is labelled by URL name."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from ipaddress import ip_network
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample

from sprechzeit.consultations.models import Consultation
from sprechzeit.consultations.services import consultation_accept, consultation_request
from sprechzeit.consultations.tests.factories import scene
from sprechzeit.core import clock, metrics
from sprechzeit.ledger.tests.helpers import assert_ledger_sound
from sprechzeit.platforms.models import ContactMessage

TOKEN = "a-long-random-metrics-token-for-tests"


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every sample of an exposition by (name, labels); parsing fails on a malformed text."""
    found: dict[tuple[str, frozenset[tuple[str, str]]], float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            assert isinstance(sample, Sample)
            found[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return found


def value(text: str, name: str, **labels: str) -> float:
    return samples(text)[(name, frozenset(labels.items()))]


@pytest.fixture
def token(settings: Any) -> str:
    settings.METRICS_TOKEN = TOKEN
    settings.METRICS_ALLOWED_IPS = (ip_network("10.9.0.0/16"),)
    return TOKEN


@pytest.mark.django_db
@pytest.mark.usefixtures("token")
def test_an_allowed_address_scrapes_the_text_format(client: Client) -> None:
    response = client.get("/metrics", REMOTE_ADDR="10.9.3.4", HTTP_HOST="10.0.0.11:8000")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    text = response.content.decode()
    assert value(text, "sprechzeit_metrics_database_up") == 1
    assert value(text, "sprechzeit_settlement_queue_depth") == 0
    for family in (
        "sprechzeit_cutoff_lateness_seconds",
        "sprechzeit_webhooks_total",
        "sprechzeit_ledger_transfers_total",
        "sprechzeit_backoffice_open",
    ):
        assert f"# TYPE {family} " in text


@pytest.mark.django_db
@pytest.mark.usefixtures("token")
def test_another_address_without_the_token_is_refused(client: Client) -> None:
    for headers in (
        {},
        {"HTTP_AUTHORIZATION": "Bearer wrong-token-of-the-same-shape-xx"},
        {"HTTP_AUTHORIZATION": TOKEN},  # not a bearer header
        # The proxy's header is never believed for /metrics: only the direct peer counts.
        {"HTTP_X_FORWARDED_FOR": "10.9.3.4"},
    ):
        response = client.get("/metrics", REMOTE_ADDR="203.0.113.9", **headers)  # type: ignore[arg-type]
        assert response.status_code == 403, headers
        assert b"sprechzeit_" not in response.content


@pytest.mark.django_db
@pytest.mark.usefixtures("token")
def test_the_token_opens_metrics_from_anywhere(client: Client) -> None:
    response = client.get(
        "/metrics", REMOTE_ADDR="203.0.113.9", HTTP_AUTHORIZATION=f"Bearer {TOKEN}"
    )
    assert response.status_code == 200
    assert value(response.content.decode(), "sprechzeit_metrics_database_up") == 1


@pytest.mark.django_db
def test_without_allowed_addresses_or_token_metrics_are_closed(
    client: Client, settings: Any
) -> None:
    """The production default: METRICS_ALLOWED_IPS empty, no METRICS_TOKEN."""
    settings.METRICS_ALLOWED_IPS = ()
    settings.METRICS_TOKEN = None
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 403
    assert (
        client.get("/metrics", REMOTE_ADDR="127.0.0.1", HTTP_AUTHORIZATION="Bearer ").status_code
        == 403
    )


@pytest.mark.django_db(transaction=True)
def test_scrape_time_gauges_follow_the_database(client: Client) -> None:
    start = clock.now().replace(microsecond=0)
    with clock.frozen_at(start) as frozen:
        s = scene(balance_minor=2000)
        consultation = consultation_request(client=s.client, listing=s.listing)
        consultation_accept(consultation=consultation, partner=s.partner)
        ContactMessage.objects.create(
            platform=s.platform, email="someone@example.com", subject="Hallo", message="…"
        )
        ContactMessage.objects.create(
            platform=s.platform,
            email="other@example.com",
            subject="Erledigt",
            message="…",
            handled=True,
        )
        text = client.get("/metrics").content.decode()
        assert (
            value(text, "sprechzeit_consultations_live", platform=s.platform.slug, channel="chat")
            == 1
        )
        assert (
            value(text, "sprechzeit_consultations_live", platform=s.platform.slug, channel="phone")
            == 0
        )
        assert value(text, "sprechzeit_backoffice_open", queue="contact_messages") == 1
        assert value(text, "sprechzeit_backoffice_open", queue="refund_requests") == 0
        assert value(text, "sprechzeit_backoffice_open", queue="disputes") == 0

        # Ended 90 s ago and not settled: one in the queue, 90 s of lag (state set by hand:
        # the tests run the settlement eagerly, so a real end leaves nothing waiting).
        Consultation.objects.filter(pk=consultation.pk).update(
            status=Consultation.Status.ENDED, ended_at=start
        )
        frozen.tick(90)
        text = client.get("/metrics").content.decode()
    assert (
        value(text, "sprechzeit_consultations_live", platform=s.platform.slug, channel="chat") == 0
    )
    assert value(text, "sprechzeit_settlement_queue_depth") == 1
    assert value(text, "sprechzeit_settlement_lag_seconds") == 90
    assert_ledger_sound()


@pytest.mark.django_db
def test_http_latency_is_labelled_by_url_name_never_by_path(client: Client) -> None:
    client.get("/bestaetigen/geheimes-token-im-pfad/")
    client.get("/gibt-es-nicht/12345/")
    text = client.get("/metrics").content.decode()
    assert "geheimes-token" not in text
    found = samples(text)
    # No label carries the path's id (a sample's value may contain those digits by chance).
    assert not any("12345" in value for (_name, labels) in found for (_key, value) in labels)
    verify = [
        labels
        for (name, labels) in found
        if name == "sprechzeit_http_request_duration_seconds_count"
        and ("view", "site:verify_email") in labels
    ]
    assert verify
    assert ("method", "GET") in verify[0]
    assert any(
        ("view", "unresolved") in labels and ("status", "4xx") in labels
        for (name, labels) in found
        if name == "sprechzeit_http_request_duration_seconds_count"
    )


@pytest.mark.django_db
def test_the_phase_b_recorders_show_in_the_scrape(client: Client) -> None:
    """The functions domain code will call: each one moves its series."""
    before = samples(client.get("/metrics").content.decode())

    def count(
        found: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str
    ) -> float:
        return found.get((name, frozenset(labels.items())), 0.0)

    metrics.observe_cutoff_lateness(0.3)
    metrics.observe_cutoff_lateness(-1.0)
    metrics.observe_webhook(provider="stripe", outcome="processed", seconds=0.02)
    metrics.count_payment_outcome(provider="mollie", outcome="succeeded")
    metrics.count_ledger_transfers(3)
    after = samples(client.get("/metrics").content.decode())
    for name, labels, delta in (
        ("sprechzeit_cutoff_lateness_seconds_count", {}, 2),
        ("sprechzeit_cutoff_lateness_seconds_bucket", {"le": "0.01"}, 1),  # the early one: 0
        ("sprechzeit_cutoff_lateness_seconds_bucket", {"le": "0.5"}, 2),
        ("sprechzeit_webhooks_total", {"provider": "stripe", "outcome": "processed"}, 1),
        ("sprechzeit_webhook_duration_seconds_count", {"provider": "stripe"}, 1),
        ("sprechzeit_payment_outcomes_total", {"provider": "mollie", "outcome": "succeeded"}, 1),
        ("sprechzeit_ledger_transfers_total", {}, 3),
    ):
        assert count(after, name, **labels) - count(before, name, **labels) == delta, name


def test_several_processes_add_up_in_multiprocess_mode(tmp_path: Path) -> None:
    """uvicorn's workers each write their own files; one scrape sums them all, including a
    process that has exited."""
    folder = tmp_path / "metrics"
    folder.mkdir()
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(folder)}
    record = textwrap.dedent(
        """
        from sprechzeit.core import metrics
        metrics.count_ledger_transfers(5)
        metrics.observe_cutoff_lateness(2.0)
        """
    )
    for _ in range(2):
        subprocess.run([sys.executable, "-c", record], env=env, check=True, timeout=60)
    scrape = textwrap.dedent(
        f"""
        import sys
        from pathlib import Path
        from sprechzeit.core import metrics
        body, _ = metrics.exposition(multiprocess_dir=Path({str(folder)!r}))
        sys.stdout.write(body.decode())
        """
    )
    text = subprocess.run(
        [sys.executable, "-c", scrape],
        env=env,
        check=True,
        timeout=60,
        capture_output=True,
        text=True,
    ).stdout
    assert value(text, "sprechzeit_ledger_transfers_total") == 10
    assert value(text, "sprechzeit_cutoff_lateness_seconds_count") == 2
    assert len(list(folder.glob("*.db"))) >= 2
