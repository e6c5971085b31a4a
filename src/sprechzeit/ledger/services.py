"""Writes to the ledger. Every function here is the only way to do what it does.

All booking services share one engine (`ledger.booking.book`), so they share its
guarantees: one database transaction per call (or the caller's, when called inside
one), account rows locked in primary-key order, serialization failures and deadlocks
retried inside, idempotency by the caller-chosen id, and nothing booked when a
`LedgerError` is raised.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Final

from django.db import connection, transaction

from sprechzeit.core import clock
from sprechzeit.core.money import EUR, MINOR_UNITS, Money
from sprechzeit.ledger import errors
from sprechzeit.ledger.booking import (
    TransferResult,
    TransferSpec,
    book,
    default_batch_id,
    expiry_id,
)
from sprechzeit.ledger.models import (
    Account,
    AccountPurpose,
    AccountType,
    Transfer,
    TransferKind,
)

__all__ = [
    "BatchResult",
    "FoldResult",
    "HoldsExpired",
    "TransferResult",
    "TransferSpec",
    "account_close",
    "account_get_or_create",
    "accounts_get_or_create",
    "hold_create",
    "hold_post",
    "hold_void",
    "holds_expire_due",
    "hot_accounts_fold",
    "transfer_post",
    "transfers_post_linked",
]


@dataclass(frozen=True, slots=True)
class AccountDefaults:
    type: AccountType
    debits_must_not_exceed_credits: bool = False
    credits_must_not_exceed_debits: bool = False
    hot: bool = False


# How each purpose behaves. Wallets may not go below zero; the accounts nearly every
# consultation or payment touches are hot (no limits, no row lock when booked).
PURPOSE_DEFAULTS: Final[Mapping[AccountPurpose, AccountDefaults]] = {
    AccountPurpose.CLIENT_WALLET: AccountDefaults(
        AccountType.LIABILITY, debits_must_not_exceed_credits=True
    ),
    AccountPurpose.CLIENT_BONUS: AccountDefaults(
        AccountType.LIABILITY, debits_must_not_exceed_credits=True
    ),
    AccountPurpose.CONSULTATION_CLEARING: AccountDefaults(AccountType.LIABILITY, hot=True),
    AccountPurpose.PARTNER_PAYABLE: AccountDefaults(AccountType.LIABILITY),
    AccountPurpose.PLATFORM_REVENUE: AccountDefaults(AccountType.INCOME, hot=True),
    AccountPurpose.OUTPUT_VAT: AccountDefaults(AccountType.LIABILITY, hot=True),
    AccountPurpose.INPUT_VAT: AccountDefaults(AccountType.ASSET, hot=True),
    AccountPurpose.OUTPUT_VAT_13B: AccountDefaults(AccountType.LIABILITY),
    AccountPurpose.INPUT_VAT_13B: AccountDefaults(AccountType.ASSET),
    AccountPurpose.PROVIDER_CLEARING: AccountDefaults(AccountType.ASSET, hot=True),
    AccountPurpose.PROVIDER_FEES: AccountDefaults(AccountType.EXPENSE, hot=True),
    AccountPurpose.PROMOTION_EXPENSE: AccountDefaults(AccountType.EXPENSE, hot=True),
    AccountPurpose.CHARGEBACK_LOSS: AccountDefaults(AccountType.EXPENSE),
    AccountPurpose.CLIENT_RECEIVABLE: AccountDefaults(AccountType.ASSET),
    AccountPurpose.PAYOUT_IN_TRANSIT: AccountDefaults(AccountType.ASSET),
    AccountPurpose.BANK: AccountDefaults(AccountType.ASSET),
    AccountPurpose.ROUNDING: AccountDefaults(AccountType.EXPENSE),
    AccountPurpose.WRITE_OFF: AccountDefaults(AccountType.EXPENSE),
    AccountPurpose.OPENING_BALANCE: AccountDefaults(AccountType.EQUITY),
    AccountPurpose.EQUITY: AccountDefaults(AccountType.EQUITY),
}


@dataclass(frozen=True, slots=True)
class BatchResult:
    batch_id: uuid.UUID
    transfers: tuple[TransferResult, ...]
    # True when the whole batch had been booked before and was returned unchanged.
    replayed: bool


@dataclass(frozen=True, slots=True)
class HoldsExpired:
    expired: tuple[uuid.UUID, ...]


@dataclass(frozen=True, slots=True)
class FoldResult:
    accounts: int
    deltas: int


# --- accounts ---------------------------------------------------------------------------


def account_get_or_create(
    *,
    purpose: AccountPurpose,
    currency: str = EUR,
    owner_type: str = "",
    owner_id: str = "",
    name: str = "",
) -> Account:
    """The one account for (purpose, currency, owner); created on first use with the
    type, flags and hotness of `PURPOSE_DEFAULTS`. Safe under concurrent first use."""
    if currency not in MINOR_UNITS:
        raise errors.CurrencyMismatch(f"Unknown currency {currency!r}.", currency=currency)
    if bool(owner_type) != bool(owner_id):
        raise errors.InvalidTransfer("An owner needs both a type and an id.")
    defaults = PURPOSE_DEFAULTS[AccountPurpose(purpose)]
    account, _created = Account.objects.get_or_create(
        purpose=purpose,
        currency=currency,
        owner_type=owner_type,
        owner_id=str(owner_id),
        defaults={
            "type": defaults.type,
            "name": name,
            "debits_must_not_exceed_credits": defaults.debits_must_not_exceed_credits,
            "credits_must_not_exceed_debits": defaults.credits_must_not_exceed_debits,
            "hot": defaults.hot,
            "created_at": clock.now(),
        },
    )
    return account


def accounts_get_or_create(
    *,
    purposes: Sequence[AccountPurpose],
    currency: str = EUR,
    owner_type: str,
    owner_id: str,
) -> dict[AccountPurpose, Account]:
    """An owner's accounts for several purposes: one query when they exist (the hot
    path: a client's wallet is read on every request, hold and settlement), created on
    first use like `account_get_or_create`."""
    found = {
        AccountPurpose(account.purpose): account
        for account in Account.objects.filter(
            purpose__in=purposes, currency=currency, owner_type=owner_type, owner_id=owner_id
        )
    }
    for purpose in purposes:
        if purpose not in found:
            found[purpose] = account_get_or_create(
                purpose=purpose, currency=currency, owner_type=owner_type, owner_id=owner_id
            )
    return found


@transaction.atomic
def account_close(*, account: Account) -> Account:
    """Close an account: later transfers to or from it fail with `account_closed`; open
    holds on it may still be voided or expire. Irreversible, as in TigerBeetle."""
    Account.objects.filter(pk=account.pk).select_for_update(no_key=True).update(closed=True)
    account.refresh_from_db()
    return account


# --- transfers ----------------------------------------------------------------------------


def transfer_post(
    *,
    id: uuid.UUID,
    debit_account: Account,
    credit_account: Account,
    amount: Money,
    purpose: str = "",
    reference: str = "",
    metadata: Mapping[str, Any] | None = None,
) -> TransferResult:
    """Move `amount` from `debit_account` to `credit_account` at once.

    Idempotent by `id`: the same id with the same content returns the first outcome
    (`replayed=True`); other content raises `IdConflict`; an id that failed on the
    ledger's state raises `IdAlreadyFailed`. Raises `ExceedsCredits` when a wallet would
    go below zero counting its holds.
    """
    spec = TransferSpec(
        id=id,
        debit_account=debit_account,
        credit_account=credit_account,
        amount=amount,
        purpose=purpose,
        reference=reference,
        metadata=metadata or {},
    )
    return book([spec])[0]


def transfers_post_linked(
    *, transfers: Sequence[TransferSpec], batch_id: uuid.UUID | None = None
) -> BatchResult:
    """Book several transfers (any kinds, holds created earlier in the batch may be
    posted later in it) as one: all or none.

    The first failure raises its own error with `index` in its fields and nothing is
    booked. This is also the bulk path: transfers go in with COPY and each account's
    counters change once per batch. Batches of up to some ten thousand transfers keep
    lock times short; a resubmitted identical batch returns the first outcome.
    """
    if not transfers:
        raise errors.InvalidTransfer("A batch needs at least one transfer.")
    batch = batch_id or default_batch_id(transfers[0].id)
    results = book(transfers, batch_id=batch)
    replayed = all(result.replayed for result in results)
    return BatchResult(
        batch_id=results[0].batch_id or batch, transfers=tuple(results), replayed=replayed
    )


def hold_create(
    *,
    id: uuid.UUID,
    debit_account: Account,
    credit_account: Account,
    amount: Money,
    timeout: timedelta | None = None,
    purpose: str = "",
    reference: str = "",
    metadata: Mapping[str, Any] | None = None,
) -> TransferResult:
    """Reserve `amount` (a pending transfer). It counts against the debit account's limit
    at once; it expires `timeout` after booking (see `holds_expire_due`)."""
    spec = TransferSpec(
        id=id,
        kind=TransferKind.PENDING,
        debit_account=debit_account,
        credit_account=credit_account,
        amount=amount,
        timeout=timeout,
        purpose=purpose,
        reference=reference,
        metadata=metadata or {},
    )
    return book([spec])[0]


def hold_post(
    *,
    id: uuid.UUID,
    pending_id: uuid.UUID,
    amount: Money | None = None,
    purpose: str = "",
    reference: str = "",
    metadata: Mapping[str, Any] | None = None,
) -> TransferResult:
    """Post at most the held amount (default: all of it); the rest is released. A hold
    resolves once: posting it again, or after a void or its expiry, raises."""
    spec = TransferSpec(
        id=id,
        kind=TransferKind.POST_PENDING,
        pending_id=pending_id,
        amount=amount,
        purpose=purpose,
        reference=reference,
        metadata=metadata or {},
    )
    return book([spec])[0]


def hold_void(
    *,
    id: uuid.UUID,
    pending_id: uuid.UUID,
    purpose: str = "",
    reference: str = "",
    metadata: Mapping[str, Any] | None = None,
) -> TransferResult:
    """Release the whole hold. Raises when it was already posted, voided or expired."""
    spec = TransferSpec(
        id=id,
        kind=TransferKind.VOID_PENDING,
        pending_id=pending_id,
        purpose=purpose,
        reference=reference,
        metadata=metadata or {},
    )
    return book([spec])[0]


def holds_expire_due(*, limit: int = 1000) -> HoldsExpired:
    """Release every hold whose expiry has passed (at most `limit` per call, oldest first).

    Each expiry is an `expire_pending` transfer with an id derived from the hold, so two
    sweepers at once book each expiry once. Safe to run at any time, from beat or by hand
    (`sprechzeit ledger expire-holds`).
    """
    now = clock.now()
    due = list(
        Transfer.objects.filter(
            kind=TransferKind.PENDING, expires_at__lte=now, resolution__isnull=True
        )
        .order_by("expires_at")
        .values_list("id", flat=True)[:limit]
    )
    specs = [
        TransferSpec(
            id=expiry_id(pending_id),
            kind=TransferKind.EXPIRE_PENDING,
            pending_id=pending_id,
            purpose="hold_expired",
        )
        for pending_id in due
    ]
    results = book(specs, skip_resolved=True)
    return HoldsExpired(expired=tuple(result.pending_id for result in results if result.pending_id))


def hot_accounts_fold(*, accounts: Sequence[Account] | None = None) -> FoldResult:
    """Move the appended deltas of hot accounts into their counters.

    Per account, one transaction locks the account row (only this fold and closing take
    it; bookings do not), deletes the deltas it can see and adds exactly the deleted
    rows' sums (DELETE … RETURNING): a delta committed meanwhile stays for the next fold.
    Balances are correct with or without folding; folding keeps reads cheap.
    """
    if accounts is None:
        account_ids = list(
            Account.objects.filter(hot=True).order_by("pk").values_list("pk", flat=True)
        )
    else:
        account_ids = sorted(int(account.pk) for account in accounts)
    folded_accounts = 0
    folded_deltas = 0
    for account_id in account_ids:
        with transaction.atomic(), connection.cursor() as cursor:
            lock = " FOR NO KEY UPDATE" if connection.vendor == "postgresql" else ""
            cursor.execute(f"SELECT id FROM ledger_account WHERE id = %s{lock}", [account_id])  # noqa: S608
            cursor.execute(
                "DELETE FROM ledger_accountdelta WHERE account_id = %s RETURNING"
                " debits_pending, debits_posted, credits_pending, credits_posted",
                [account_id],
            )
            deleted = cursor.fetchall()
            if not deleted:
                continue
            sums = [sum(int(row[column]) for row in deleted) for column in range(4)]
            cursor.execute(
                "UPDATE ledger_account SET debits_pending = debits_pending + %s,"
                " debits_posted = debits_posted + %s, credits_pending = credits_pending + %s,"
                " credits_posted = credits_posted + %s WHERE id = %s",
                [*sums, account_id],
            )
            folded_accounts += 1
            folded_deltas += len(deleted)
    return FoldResult(accounts=folded_accounts, deltas=folded_deltas)
