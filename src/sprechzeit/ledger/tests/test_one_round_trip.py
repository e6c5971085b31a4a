"""The single transfer in one round trip on PostgreSQL (`ledger_book_one`, ledger 0005).

- Every kind of single request costs exactly one statement, and outside a caller's
  transaction no BEGIN and no COMMIT either.
- Differential: for a long random sequence of requests (every kind, replays, conflicts,
  limits, closed accounts, currencies, expired, resolved and unknown holds), the function
  decides exactly what the Python path (`booking._book_once`) decides on the same state —
  the same result or the same error with the same fields — and the Python path's attempt
  is rolled back each time, so both always see the same ledger.
- A process SIGKILLed while booking singles leaves a sound ledger (each transfer with
  its counters, or nothing).
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.db import connection, connections, transaction
from django.test.utils import CaptureQueriesContext

from sprechzeit.core import clock
from sprechzeit.core.money import Money
from sprechzeit.ledger import booking, errors, services
from sprechzeit.ledger.booking import TransferSpec
from sprechzeit.ledger.models import AccountPurpose, Transfer, TransferKind
from sprechzeit.ledger.tests.factories import account, eur, funded_wallet, new_id, system
from sprechzeit.ledger.tests.helpers import assert_ledger_sound

pytestmark = pytest.mark.postgres

T0 = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


@pytest.mark.django_db(transaction=True)  # outside a transaction: the autocommit path
def test_each_single_request_is_one_statement_without_begin_or_commit() -> None:
    wallet = funded_wallet(1000)
    revenue = system(AccountPurpose.PLATFORM_REVENUE)
    clearing = system(AccountPurpose.CONSULTATION_CLEARING)
    with CaptureQueriesContext(connection) as seen:
        transfer = services.transfer_post(
            id=new_id(), debit_account=wallet, credit_account=revenue, amount=eur(100)
        )
        hold = services.hold_create(
            id=new_id(), debit_account=wallet, credit_account=clearing, amount=eur(300)
        )
        services.hold_post(id=new_id(), pending_id=hold.id, amount=eur(200))
        other = services.hold_create(
            id=new_id(), debit_account=wallet, credit_account=clearing, amount=eur(50)
        )
        services.hold_void(id=new_id(), pending_id=other.id)
        replay = services.transfer_post(
            id=transfer.id, debit_account=wallet, credit_account=revenue, amount=eur(100)
        )
        with pytest.raises(errors.ExceedsCredits):
            services.transfer_post(
                id=new_id(), debit_account=wallet, credit_account=revenue, amount=eur(10_000)
            )
    statements = [query["sql"] for query in seen.captured_queries]
    assert len(statements) == 7, statements
    assert all(sql.startswith("SELECT * FROM ledger_book_one(") for sql in statements)
    assert replay.replayed
    assert (replay.amount, replay.debit_account_id) == (eur(100), wallet.pk)
    services.hot_accounts_fold()
    assert_ledger_sound()


def _python_outcome(spec: TransferSpec) -> Any:
    """What the Python path decides on the current state; its writes are rolled back."""

    class Rollback(Exception):
        pass

    outcome: Any = None
    try:
        with transaction.atomic():
            decided = booking._book_once(
                booking._prepare_all([spec]), batch_id=None, skip_resolved=False
            )
            outcome = decided if isinstance(decided, errors.LedgerError) else decided[0]
            raise Rollback
    except Rollback:
        pass
    except errors.LedgerError as error:  # replays raise inside `_replay`
        outcome = error
    return outcome


def _function_outcome(spec: TransferSpec) -> Any:
    try:
        return booking.book([spec])[0]
    except errors.LedgerError as error:
        return error


def _comparable(outcome: Any) -> Any:
    if isinstance(outcome, errors.LedgerError):
        return (type(outcome), dict(outcome.fields), str(outcome.message))
    return outcome


@pytest.mark.django_db
def test_the_function_decides_what_the_python_path_decides() -> None:
    rng = random.Random(19)
    wallets = [funded_wallet(rng.choice([50, 2000, 5000])) for _ in range(4)]
    usd = funded_wallet(300, currency="USD")
    closed = funded_wallet(100)
    services.account_close(account=closed)
    payable = account(AccountPurpose.PARTNER_PAYABLE)
    revenue = system(AccountPurpose.PLATFORM_REVENUE)
    clearing = system(AccountPurpose.CONSULTATION_CLEARING)
    targets = [revenue, clearing, payable, usd, closed]
    holds: list[uuid.UUID] = []
    asked: list[TransferSpec] = []
    kinds: dict[str, int] = {}

    def spec_for(roll: float) -> TransferSpec:
        if roll < 0.1 and asked:  # the same request again (replay) or other content
            again = rng.choice(asked)
            if rng.random() < 0.5:
                return again
            return TransferSpec(
                id=again.id,
                kind=again.kind,
                debit_account=again.debit_account,
                credit_account=again.credit_account,
                amount=Money(rng.randint(1, 99)),
                pending_id=again.pending_id,
            )
        if roll < 0.55:
            kind = TransferKind.PENDING if roll < 0.3 else TransferKind.SINGLE
            debit = rng.choice([*wallets * 4, closed, usd])
            credit = rng.choice([c for c in [*targets[:3] * 3, *targets[3:]] if c != debit])
            return TransferSpec(
                id=new_id(),
                kind=kind,
                debit_account=debit,
                credit_account=10**9 if rng.random() < 0.05 else credit,
                amount=Money(rng.randint(1, 250), rng.choice(["EUR"] * 9 + ["USD"])),
                timeout=(
                    timedelta(seconds=rng.choice([5, 60]))
                    if kind == TransferKind.PENDING and rng.random() < 0.5
                    else None
                ),
            )
        kind = rng.choice(
            [TransferKind.POST_PENDING] * 4
            + [TransferKind.VOID_PENDING] * 3
            + [TransferKind.EXPIRE_PENDING]
        )
        pending = rng.choice(holds[-8:]) if holds and rng.random() < 0.9 else new_id()
        return TransferSpec(
            id=new_id(),
            kind=kind,
            pending_id=pending,
            amount=(
                None
                if rng.random() < 0.5
                else Money(rng.randint(1, 300), rng.choice(["EUR"] * 9 + ["USD"]))
            ),
            debit_account=rng.choice(wallets) if rng.random() < 0.1 else None,
        )

    with clock.frozen_at(T0) as frozen:
        for _ in range(400):
            frozen.tick(rng.choice([0, 1, 3, 20]))
            try:
                spec = spec_for(rng.random())
                booking._prepare_all([spec])
            except errors.LedgerError:
                continue  # refused before any database work, on both paths alike
            expected = _python_outcome(spec)
            got = _function_outcome(spec)
            assert _comparable(got) == _comparable(expected), spec
            name = type(got).__name__
            kinds[name] = kinds.get(name, 0) + 1
            asked.append(spec)
            if not isinstance(got, errors.LedgerError) and got.kind == TransferKind.PENDING:
                holds.append(got.id)
    # The sequence reached the interesting outcomes, not only the easy ones.
    for outcome in (
        "TransferResult",
        "ExceedsCredits",
        "AccountClosed",
        "CurrencyMismatch",
        "IdConflict",
        "IdAlreadyFailed",
        "HoldNotFound",
        "HoldAlreadyPosted",
        "HoldExpired",
        "ExceedsHeldAmount",
        "HoldMismatch",
        "InvalidTransfer",
    ):
        assert kinds.get(outcome, 0) > 0, (outcome, kinds)
    services.hot_accounts_fold()
    assert_ledger_sound()


@pytest.mark.django_db(transaction=True)
def test_sigkill_while_booking_singles_leaves_a_sound_ledger() -> None:
    wallet = funded_wallet(10**9)
    revenue = system(AccountPurpose.PLATFORM_REVENUE)
    payable = account(AccountPurpose.PARTNER_PAYABLE)
    settings = connection.settings_dict
    url = (
        f"postgres://{settings['USER']}:{settings['PASSWORD'] or ''}@{settings['HOST']}:"
        f"{settings['PORT'] or 5432}/{settings['NAME']}"
    )
    connections.close_all()
    child = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "sprechzeit.ledger.tests.crash_child",
            "single",
            "100000",
            str(wallet.pk),
            str(revenue.pk),
            str(payable.pk),
        ],
        env={**os.environ, "DATABASE_URL": url, "SPRECHZEIT_MODE": "test"},
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "booking"
    deadline = time.monotonic() + 60
    while Transfer.objects.filter(reference__startswith="crash:").count() < 50:
        assert child.poll() is None, "the child stopped booking before it was killed"
        assert time.monotonic() < deadline
        time.sleep(0.01)
    os.kill(child.pid, signal.SIGKILL)
    assert child.wait(timeout=30) == -signal.SIGKILL
    time.sleep(0.5)  # the server notices the dead client
    booked = Transfer.objects.filter(reference__startswith="crash:").count()
    assert booked >= 50
    services.hot_accounts_fold()
    assert_ledger_sound()


@pytest.mark.django_db
def test_the_copy_path_stores_tabs_line_breaks_and_backslashes_exactly() -> None:
    """Batches from 50 transfers go in as one COPY text payload built by hand
    (`booking._copy_text`): what needs escaping there comes back unchanged."""
    wallet = funded_wallet(10_000)
    revenue = system(AccountPurpose.PLATFORM_REVENUE)
    awkward = "a\tb\nc\\d\re \\N ü"
    specs = [
        TransferSpec(
            id=new_id(),
            debit_account=wallet,
            credit_account=revenue,
            amount=eur(n + 1),
            purpose=awkward[: n % 12],
            reference=f"{awkward}:{n}",
            metadata={"note": awkward, "n": n},
        )
        for n in range(60)
    ]
    services.transfers_post_linked(transfers=specs)
    stored = {t.id: t for t in Transfer.objects.filter(pk__in=[spec.id for spec in specs])}
    for n, spec in enumerate(specs):
        row = stored[spec.id]
        assert (row.purpose, row.reference, row.metadata, row.amount) == (
            awkward[: n % 12],
            f"{awkward}:{n}",
            {"note": awkward, "n": n},
            n + 1,
        )
    services.hot_accounts_fold()
    assert_ledger_sound()
