"""The recorded metrics move where the events happen, after commit: ledger transfers when
a booking commits (not when it rolls back), payment outcomes when a payment reaches a
final state (not on a replay), webhook outcomes and latency per provider (processed,
duplicate, rejected), and the cut-off lateness when a room's timer cuts off. (The
scrape-time gauges and the HTTP latency per view: `test_metrics.py`.)"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import responses
from django.core.cache import cache
from django.db import transaction
from django.test import Client

from sprechzeit.consultations.realtime import timebase
from sprechzeit.consultations.realtime.timebase import ManualTimebase
from sprechzeit.consultations.tests.factories import scene, top_up
from sprechzeit.consultations.tests.test_realtime import check, live, make_scene, run_until
from sprechzeit.core import metrics
from sprechzeit.ledger.models import Transfer
from sprechzeit.ledger.tests.helpers import assert_ledger_sound
from sprechzeit.payments.models import Payment, PaymentStatus, ProviderConfig, ProviderKind
from sprechzeit.payments.services import payments
from sprechzeit.payments.tests import stripe_helpers as sh
from sprechzeit.payments.tests.factories import (
    channel,
    client,
    eur,
    platform_with_channels,
    provider_config,
)


def sample(name: str, **labels: str) -> float:
    found = metrics.REGISTRY.get_sample_value(name, labels)
    return 0.0 if found is None else float(found)


@pytest.mark.django_db
def test_ledger_transfers_count_when_the_booking_commits(
    django_capture_on_commit_callbacks: Any,
) -> None:
    s = scene(balance_minor=0)
    before, booked = sample("sprechzeit_ledger_transfers_total"), Transfer.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        top_up(client=s.client, minor=700)
    made = Transfer.objects.count() - booked
    assert made >= 1
    assert sample("sprechzeit_ledger_transfers_total") - before == made

    before = sample("sprechzeit_ledger_transfers_total")

    def booked_then_rolled_back() -> None:
        with transaction.atomic():
            top_up(client=s.client, minor=300)
            raise RuntimeError("rolled back")

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        booked_then_rolled_back()
    assert sample("sprechzeit_ledger_transfers_total") == before
    assert_ledger_sound()


@pytest.fixture
def stripe_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STRIPE_SECRET_KEY_TEST", sh.API_KEY)
    monkeypatch.setenv("STRIPE_WEBHOOK_SECRET_TEST", sh.WEBHOOK_SECRET)


def stripe_payment(amount: int) -> tuple[ProviderConfig, Payment]:
    """A Stripe checkout started for a client (the API call answered as Stripe would)."""
    platform = platform_with_channels()
    config = provider_config(
        platform,
        ProviderKind.STRIPE,
        secret_env="STRIPE_SECRET_KEY_TEST",
        webhook_secret_env="STRIPE_WEBHOOK_SECRET_TEST",
    )
    policy = channel(config, "card", fee_fixed_minor=25, fee_percent="1.50")
    with responses.RequestsMock() as mocked:
        mocked.post(
            "https://api.stripe.com/v1/checkout/sessions",
            json={
                "id": "cs_test_a1",
                "object": "checkout.session",
                "url": "https://checkout.stripe.com/c/pay/cs_test_a1",
                "payment_intent": None,
                "amount_total": amount,
                "currency": "eur",
            },
        )
        payment = payments.payment_start(
            client_account=client(platform),
            policy=policy,
            amount=eur(amount),
            return_url="https://x.example/r/{id}",
            cancel_url="https://x.example/c/{id}",
            webhook_url="https://x.example/h",
        )
    return config, payment


@pytest.mark.django_db
@pytest.mark.usefixtures("stripe_env")
def test_webhooks_and_payment_outcomes_count_per_provider(
    django_capture_on_commit_callbacks: Any,
) -> None:
    config, payment = stripe_payment(5000)
    payload = sh.event("checkout.session.completed", sh.session_completed(payment.pk, 5000))
    host = f"{config.platform.slug}.localhost"

    def deliver(header: str) -> int:
        return int(sh.post(Client(), config, payload, header=header, host=host).status_code)

    def counts() -> tuple[float, ...]:
        return (
            sample("sprechzeit_payment_outcomes_total", provider="stripe", outcome="succeeded"),
            sample("sprechzeit_webhooks_total", provider="stripe", outcome="processed"),
            sample("sprechzeit_webhooks_total", provider="stripe", outcome="duplicate"),
            sample("sprechzeit_webhooks_total", provider="stripe", outcome="rejected"),
            sample("sprechzeit_webhook_duration_seconds_count", provider="stripe"),
        )

    before = counts()
    with django_capture_on_commit_callbacks(execute=True):
        assert deliver(sh.signature_header(payload)) == 200
        assert deliver(sh.signature_header(payload)) == 200  # a retry: nothing new
        assert deliver(sh.signature_header(payload, secret="whsec_wrong")) == 400
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    moved = tuple(after - first for after, first in zip(counts(), before, strict=True))
    # One success (the retry counts as a duplicate, not as a second success), one
    # processed, one duplicate, one rejected, and a latency for each of the three.
    assert moved == (1.0, 1.0, 1.0, 1.0, 3.0)
    assert sample("sprechzeit_webhook_duration_seconds_sum", provider="stripe") > 0
    assert_ledger_sound()


@pytest.fixture
def clock(settings: Any) -> Iterator[ManualTimebase]:
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    cache.clear()
    manual = ManualTimebase(datetime.now(tz=UTC).replace(microsecond=0))
    with timebase.use(manual):
        yield manual


@pytest.mark.django_db(transaction=True)
async def test_a_cut_off_records_its_lateness_once(clock: ManualTimebase) -> None:
    s = await make_scene(balance_minor=500, rate_minor=200)
    _consultation, client, partner = await live(s, clock)
    count = sample("sprechzeit_cutoff_lateness_seconds_count")
    total = sample("sprechzeit_cutoff_lateness_seconds_sum")
    late = sample("sprechzeit_cutoff_lateness_seconds_bucket", le="0.01")
    await run_until(clock, [client, partner], 149)
    assert sample("sprechzeit_cutoff_lateness_seconds_count") == count
    await run_until(clock, [client, partner], 153, step=1)
    await client.expect("ended")
    await partner.expect("ended")
    # One cut-off, on the second (the manual clock stands still while the timer runs).
    assert sample("sprechzeit_cutoff_lateness_seconds_count") == count + 1
    assert sample("sprechzeit_cutoff_lateness_seconds_sum") == pytest.approx(total, abs=0.01)
    assert sample("sprechzeit_cutoff_lateness_seconds_bucket", le="0.01") == late + 1
    assert await check(s) == 0
    await client.close()
    await partner.close()


def test_the_recorders_are_named_as_documented() -> None:
    documented = (
        "sprechzeit_cutoff_lateness_seconds",
        "sprechzeit_webhooks",
        "sprechzeit_webhook_duration_seconds",
        "sprechzeit_payment_outcomes",
        "sprechzeit_ledger_transfers",
    )
    names = {family.name for family in metrics.REGISTRY.collect()}
    assert set(documented) <= names, names
