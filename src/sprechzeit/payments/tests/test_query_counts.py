"""Pinned query counts of `payment_apply`, so a future N+1 (or a lost select_related)
fails here. The numbers are exact and per backend: PostgreSQL sends the ledger's lock,
look-ups and writes in fewer round trips than SQLite."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection

from sprechzeit.accounts.models import ClientAccount
from sprechzeit.ledger.tests.helpers import assert_ledger_sound
from sprechzeit.payments.models import Payment
from sprechzeit.payments.outcomes import ApplyOutcome
from sprechzeit.payments.providers.base import PaymentUpdate, UpdateKind
from sprechzeit.payments.services import payments
from sprechzeit.payments.tests.factories import client, eur, sandbox_setup
from sprechzeit.wallets import services as wallets

pytestmark = pytest.mark.django_db

# (credit of a client's second top-up, a replay of it, a stale pending after it; on PostgreSQL
# each ledger transfer is one statement, `ledger_book_one`); the
# savepoints of the nested atomic blocks count too.
QUERIES = {"sqlite": (27, 4, 4), "postgresql": (23, 4, 4)}


def _started(minor: int) -> tuple[Payment, ClientAccount]:
    """A client's second started top-up: the first one, credited, created the accounts
    and marked the client trusted, so this is what every later top-up costs."""
    platform, _config, policy = sandbox_setup()
    account = client(platform)
    amount = eur(minor)
    urls = {"return_url": "/r/{id}", "cancel_url": "/c", "webhook_url": "/h"}
    first = payments.payment_start(client_account=account, policy=policy, amount=amount, **urls)
    payments.payment_apply(
        payment_id=first.pk, update=PaymentUpdate(kind=UpdateKind.SUCCEEDED, amount=amount)
    )
    second = payments.payment_start(client_account=account, policy=policy, amount=amount, **urls)
    return second, account


def test_payment_apply_query_counts(django_assert_num_queries: Any) -> None:
    credit, replay, stale = QUERIES[connection.vendor]
    payment, account = _started(2500)
    succeeded = PaymentUpdate(kind=UpdateKind.SUCCEEDED, amount=eur(2500))
    with django_assert_num_queries(credit):
        outcome = payments.payment_apply(payment_id=payment.pk, update=succeeded)
    assert outcome is ApplyOutcome.CREDITED
    with django_assert_num_queries(replay):
        again = payments.payment_apply(payment_id=payment.pk, update=succeeded)
    assert again is ApplyOutcome.REPLAY
    with django_assert_num_queries(stale):
        late = payments.payment_apply(
            payment_id=payment.pk, update=PaymentUpdate(kind=UpdateKind.PROCESSING)
        )
    assert late is ApplyOutcome.STALE
    assert wallets.wallet_balance(client_account=account).paid == eur(5000)
    assert_ledger_sound()
