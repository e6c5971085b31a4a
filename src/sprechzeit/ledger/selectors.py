"""Reads from the ledger: balances, a trial balance, transfers.

A hot account's counters are its row plus its not yet folded deltas; every read here
adds them, so callers never see the difference.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db.models import Sum

from sprechzeit.core.money import Money
from sprechzeit.ledger.booking import TransferResult, result_from_row
from sprechzeit.ledger.models import (
    DEBIT_NORMAL,
    Account,
    AccountDelta,
    AccountPurpose,
    AccountType,
    Transfer,
)


@dataclass(frozen=True, slots=True)
class Counters:
    debits_pending: int
    debits_posted: int
    credits_pending: int
    credits_posted: int


@dataclass(frozen=True, slots=True)
class Balance:
    """An account's balance on its normal side (credits − debits for a wallet or a
    payable, debits − credits for an asset or expense)."""

    account_id: int
    counters: Counters
    # Net posted balance.
    posted: Money
    # Held, not yet posted (what pending transfers would take on the normal side).
    pending: Money
    # What may still be spent: posted minus outgoing holds.
    available: Money


def accounts_counters(*, account_ids: Iterable[int]) -> dict[int, Counters]:
    """Current counters (row + unfolded deltas) of the given accounts."""
    ids = list(set(account_ids))
    rows = Account.objects.filter(pk__in=ids).values_list(
        "pk", "hot", "debits_pending", "debits_posted", "credits_pending", "credits_posted"
    )
    counters: dict[int, list[int]] = {}
    hot_ids = []
    for pk, hot, *values in rows:
        counters[pk] = [int(value) for value in values]
        if hot:
            hot_ids.append(pk)
    if hot_ids:
        deltas = (
            AccountDelta.objects.filter(account_id__in=hot_ids)
            .values("account_id")
            .annotate(
                dpe=Sum("debits_pending"),
                dpo=Sum("debits_posted"),
                cpe=Sum("credits_pending"),
                cpo=Sum("credits_posted"),
            )
        )
        for delta in deltas:
            current = counters[delta["account_id"]]
            sums = (delta["dpe"], delta["dpo"], delta["cpe"], delta["cpo"])
            for position, value in enumerate(sums):
                current[position] += int(value or 0)
    return {pk: Counters(*values) for pk, values in counters.items()}


def _balance(account: Account, counters: Counters) -> Balance:
    currency = account.currency
    if account.type in DEBIT_NORMAL:
        posted = counters.debits_posted - counters.credits_posted
        pending = counters.debits_pending - counters.credits_pending
        available = posted - counters.credits_pending
    else:
        posted = counters.credits_posted - counters.debits_posted
        pending = counters.credits_pending - counters.debits_pending
        available = posted - counters.debits_pending
    return Balance(
        account_id=int(account.pk),
        counters=counters,
        posted=Money(posted, currency),
        pending=Money(pending, currency),
        available=Money(available, currency),
    )


def account_balance(*, account: Account) -> Balance:
    """Posted, pending and available balance of one account, as committed right now."""
    return _balance(account, accounts_counters(account_ids=[int(account.pk)])[int(account.pk)])


def accounts_balances(*, accounts: Sequence[Account]) -> dict[int, Balance]:
    counters = accounts_counters(account_ids=[int(account.pk) for account in accounts])
    return {int(account.pk): _balance(account, counters[int(account.pk)]) for account in accounts}


def account_find(
    *, purpose: AccountPurpose, currency: str, owner_type: str = "", owner_id: str = ""
) -> Account | None:
    return Account.objects.filter(
        purpose=purpose, currency=currency, owner_type=owner_type, owner_id=str(owner_id)
    ).first()


def transfer_get(*, id: uuid.UUID) -> TransferResult | None:
    row = Transfer.objects.filter(pk=id).first()
    return None if row is None else result_from_row(row)


def transfers_for_reference(*, reference: str) -> list[TransferResult]:
    rows = Transfer.objects.filter(reference=reference).order_by("created_at", "id")
    return [result_from_row(row) for row in rows]


@dataclass(frozen=True, slots=True)
class TrialBalanceRow:
    currency: str
    type: AccountType
    debits: int
    credits: int

    @property
    def net(self) -> int:
        """Debits − credits; the rows of one currency sum to zero."""
        return self.debits - self.credits


@dataclass(frozen=True, slots=True)
class TrialBalance:
    rows: tuple[TrialBalanceRow, ...]

    def totals(self) -> dict[str, tuple[int, int]]:
        """Per currency: (Σ debits, Σ credits); equal in a sound ledger."""
        sums: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for row in self.rows:
            sums[row.currency][0] += row.debits
            sums[row.currency][1] += row.credits
        return {currency: (pair[0], pair[1]) for currency, pair in sums.items()}

    @property
    def balanced(self) -> bool:
        return all(debits == credits for debits, credits in self.totals().values())


def trial_balance(*, currency: str | None = None) -> TrialBalance:
    """Posted debits and credits per account type and currency (holds excluded)."""
    accounts = Account.objects.all()
    if currency is not None:
        accounts = accounts.filter(currency=currency)
    rows = list(accounts.values_list("pk", "currency", "type"))
    counters = accounts_counters(account_ids=[row[0] for row in rows])
    sums: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for pk, account_currency, account_type in rows:
        current = counters[pk]
        sums[(account_currency, account_type)][0] += current.debits_posted
        sums[(account_currency, account_type)][1] += current.credits_posted
    order = list(AccountType)
    return TrialBalance(
        rows=tuple(
            TrialBalanceRow(cur, AccountType(kind), pair[0], pair[1])
            for (cur, kind), pair in sorted(
                sums.items(), key=lambda item: (item[0][0], order.index(AccountType(item[0][1])))
            )
        )
    )
