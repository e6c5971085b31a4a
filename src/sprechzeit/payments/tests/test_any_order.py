"""Property: whatever order and however often a provider delivers the news about one
payment (success, pending, failure, cancel, a dispute opened, won or lost), the payment
is credited at most once, the balance follows from what was decided, and `ledger check`
passes."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sprechzeit.ledger.tests.helpers import assert_ledger_sound
from sprechzeit.payments.models import Dispute, InboxEntry, Payment
from sprechzeit.payments.services.sandbox import sandbox_deliver
from sprechzeit.payments.tests.factories import client, eur, sandbox_payment, sandbox_setup
from sprechzeit.wallets import services as wallets

EVENTS = [
    "payment.succeeded",
    "payment.pending",
    "payment.failed",
    "payment.canceled",
    "dispute.opened",
    "dispute.won",
    "dispute.lost",
]


@pytest.mark.django_db
@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.sampled_from(EVENTS), min_size=1, max_size=12))
def test_any_order_any_repeats_credit_at_most_once(sequence: list[str]) -> None:
    platform, config, policy = sandbox_setup()
    account = client(platform)
    payment = sandbox_payment(account=account, policy=policy, minor=1000)
    for event_type in sequence:
        sandbox_deliver(payment=payment, event_type=event_type, dispute_id="dp_1")
    payment = Payment.objects.get(pk=payment.pk)
    credited = "payment.succeeded" in sequence
    assert (payment.credited_at is not None) == credited
    dispute = Dispute.objects.filter(payment=payment).first()
    outstanding = dispute is not None and dispute.debited and not dispute.restored
    if dispute is not None and dispute.restored:
        assert dispute.debited
    assert payment.charged_back_minor == (1000 if outstanding else 0)
    expected = (1000 if credited else 0) - (1000 if outstanding else 0)
    assert wallets.wallet_balance(client_account=account).total == eur(expected)
    assert InboxEntry.objects.filter(provider_config=config).count() == len(sequence)
    assert_ledger_sound()
