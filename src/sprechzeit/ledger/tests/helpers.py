"""Assertions shared by ledger tests."""

from __future__ import annotations

from dataclasses import dataclass

from sprechzeit.ledger.check import ledger_check
from sprechzeit.ledger.models import Account, AccountDelta, FailedTransfer, Transfer
from sprechzeit.ledger.selectors import Counters, accounts_counters


def assert_ledger_sound() -> None:
    report = ledger_check()
    assert report.ok, report.render()


@dataclass(frozen=True)
class Snapshot:
    transfers: int
    deltas: int
    counters: dict[int, Counters]


def snapshot() -> Snapshot:
    ids = list(Account.objects.values_list("pk", flat=True))
    return Snapshot(
        transfers=Transfer.objects.count(),
        deltas=AccountDelta.objects.count(),
        counters=accounts_counters(account_ids=ids),
    )


def failed_ids() -> set[str]:
    return {str(pk) for pk in FailedTransfer.objects.values_list("pk", flat=True)}
