"""`ledger check` on a live system (PostgreSQL): bookings that commit while the check
runs must not make it report violations. The check reads one snapshot; here a transfer
is committed from another connection right after the check replayed the log and before
it reads the counters — without the snapshot the counters include it and the replay
does not."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection

from sprechzeit.ledger import check, services
from sprechzeit.ledger.models import AccountPurpose
from sprechzeit.ledger.tests.factories import eur, funded_wallet, new_id, system

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_a_transfer_committed_during_the_check_is_not_a_violation(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    wallet = funded_wallet(1_000)
    revenue = system(AccountPurpose.PLATFORM_REVENUE)
    real_replay = check._replay
    booked: list[Any] = []

    def book_elsewhere() -> None:
        try:
            booked.append(
                services.transfer_post(
                    id=new_id(), debit_account=wallet, credit_account=revenue, amount=eur(250)
                )
            )
        finally:
            connection.close()  # this thread's own connection

    def replay_then_a_booking() -> dict[int, list[int]]:
        replayed = real_replay()
        worker = threading.Thread(target=book_elsewhere)
        worker.start()
        worker.join(30)
        return replayed

    monkeypatch.setattr(check, "_replay", replay_then_a_booking)
    report = check.ledger_check()
    assert len(booked) == 1  # committed while the check ran
    assert report.ok, report.render()
    # Afterwards the transfer is part of the log, and the ledger is sound with it.
    monkeypatch.setattr(check, "_replay", real_replay)
    after = check.ledger_check()
    assert after.ok, after.render()
    assert after.transfers == report.transfers + 1
