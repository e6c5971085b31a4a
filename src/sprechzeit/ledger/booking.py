"""The one write path of the ledger: every transfer, hold, post, void, expiry and batch
goes through `book()`.

One call is one database transaction:

1. load the holds that the requests resolve (to learn their accounts);
2. lock the touched non-hot account rows in primary-key order (`accounts_lock_against_overspend`);
3. look the ids up: a replay returns the stored outcome, a remembered failure fails
   again, other content under a known id is a conflict;
4. apply every request to in-memory copies of the counters, checking limits, holds and
   currencies; the first failure aborts the whole call (a linked batch is all or
   nothing) and, for state-dependent failures, remembers the failed id;
5. write: transfers in bulk (COPY on PostgreSQL), one counter UPDATE for all locked
   accounts, and one delta row per hot account (hot rows are never locked).

Serialization failures, deadlocks and unique-key races between concurrent callers with
the same id are retried here (up to `MAX_ATTEMPTS`); they never surface as a domain
error such as "insufficient funds". Called inside a caller's transaction, `book()` joins
it and the caller's top-level use case owns the retry.

SQL in this module is raw for speed on the hot path. It is assembled from constants and
placeholder lists only (hence the `S608` waivers); every value is a bound parameter.
"""

from __future__ import annotations

import hashlib
import json
import random
import time
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any, Final

from django.db import DatabaseError, IntegrityError, OperationalError, connection, transaction

from sprechzeit.core import clock, metrics
from sprechzeit.core.db import db_uuid, is_postgres, py_uuid, rows_select_in
from sprechzeit.core.money import Money
from sprechzeit.ledger import errors, single
from sprechzeit.ledger.models import Account, FailedTransfer, Transfer, TransferKind

MAX_ATTEMPTS: Final = 12
# Namespace of ids the ledger derives itself (expiries, default batch ids).
LEDGER_NAMESPACE: Final = uuid.UUID("0b7f0b8e-3c55-4d0e-9a52-6d2f6c1e5a11")
# PostgreSQL SQLSTATEs worth a retry: serialization failure, deadlock, unique violation
# (a concurrent caller booked the same id first; the retry sees and replays it).
_RETRY_SQLSTATES: Final = frozenset({"40001", "40P01", "23505"})

type AccountRef = Account | int


@dataclass(frozen=True, slots=True, kw_only=True)
class TransferSpec:
    """One requested transfer. Which fields apply depends on `kind`:

    - `single` / `pending`: debit_account, credit_account, amount (and `timeout` for a
      hold that should expire);
    - `post_pending`: pending_id and optionally amount (default: the held amount);
    - `void_pending`: pending_id.
    Accounts named on a post or void must be the hold's.
    """

    id: uuid.UUID
    kind: TransferKind = TransferKind.SINGLE
    debit_account: AccountRef | None = None
    credit_account: AccountRef | None = None
    amount: Money | None = None
    purpose: str = ""
    reference: str = ""
    metadata: Mapping[str, Any] = field(default_factory=dict)
    pending_id: uuid.UUID | None = None
    timeout: timedelta | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class TransferResult:
    """A booked transfer. `replayed` is True when the id had already been booked with the
    same content and this call returned the original outcome without booking again."""

    id: uuid.UUID
    kind: TransferKind
    debit_account_id: int
    credit_account_id: int
    amount: Money
    purpose: str
    reference: str
    pending_id: uuid.UUID | None
    expires_at: datetime | None
    batch_id: uuid.UUID | None
    created_at: datetime
    replayed: bool


@dataclass(slots=True)
class _Prepared:
    spec: TransferSpec
    index: int
    payload_hash: str
    metadata: str
    debit_id: int | None
    credit_id: int | None


@dataclass(slots=True)
class _AccountState:
    id: int
    currency: str
    hot: bool
    closed: bool
    debits_must_not_exceed_credits: bool
    credits_must_not_exceed_debits: bool
    debits_pending: int
    debits_posted: int
    credits_pending: int
    credits_posted: int
    # What this call changes (written as one UPDATE, or one delta row when hot).
    d_debits_pending: int = 0
    d_debits_posted: int = 0
    d_credits_pending: int = 0
    d_credits_posted: int = 0


@dataclass(slots=True)
class _Hold:
    id: uuid.UUID
    kind: str
    debit_id: int
    credit_id: int
    amount: int
    currency: str
    expires_at: datetime | None
    resolved_by: str | None = None


# --- entry point ----------------------------------------------------------------------


def book(
    specs: Sequence[TransferSpec],
    *,
    batch_id: uuid.UUID | None = None,
    skip_resolved: bool = False,
) -> list[TransferResult]:
    """Book `specs` atomically; see the module docstring for the guarantees.

    `skip_resolved` is for the expiry sweep only: requests whose hold is already resolved,
    or whose id is already booked, are dropped instead of failing the call.
    """
    if not specs:
        return []
    prepared = _prepare_all(specs)
    # One request on PostgreSQL: one statement, the function of ledger migration 0005.
    one = len(prepared) == 1 and not skip_resolved and is_postgres()
    if connection.in_atomic_block:
        if one:
            return _unwrap(_book_one(prepared[0], batch_id=batch_id))
        return _unwrap(_book_once(prepared, batch_id=batch_id, skip_resolved=skip_resolved))
    for attempt in range(MAX_ATTEMPTS):
        try:
            if one:
                # Autocommit: the statement is its own transaction (no BEGIN, no COMMIT).
                outcome = _book_one(prepared[0], batch_id=batch_id)
            else:
                with transaction.atomic():
                    outcome = _book_once(prepared, batch_id=batch_id, skip_resolved=skip_resolved)
        except (OperationalError, IntegrityError) as exc:
            if not _retryable(exc):
                raise
            # Jittered backoff so racing callers do not collide again in lock step.
            time.sleep(min(0.2, 0.002 * 2**attempt) * random.random())  # noqa: S311
            continue
        return _unwrap(outcome)
    raise errors.LedgerBusy(attempts=MAX_ATTEMPTS)


def _book_one(
    item: _Prepared, *, batch_id: uuid.UUID | None
) -> list[TransferResult] | errors.LedgerError:
    spec = item.spec
    outcome = single.book_one(
        transfer_id=spec.id,
        kind=str(spec.kind),
        debit_id=item.debit_id,
        credit_id=item.credit_id,
        amount=spec.amount,
        purpose=spec.purpose,
        reference=spec.reference,
        metadata=item.metadata,
        pending_id=spec.pending_id,
        timeout=spec.timeout,
        batch_id=batch_id,
        digest=item.payload_hash,
        now=clock.now(),
    )
    if isinstance(outcome, errors.LedgerError):
        return outcome
    row, replayed = outcome
    kind, debit, credit, minor, currency, purpose, reference, pending, expires, batch, created = row
    return [
        TransferResult(
            id=spec.id,
            kind=TransferKind(kind),
            debit_account_id=int(debit),
            credit_account_id=int(credit),
            amount=Money(int(minor), currency),
            purpose=purpose,
            reference=reference,
            pending_id=pending,
            expires_at=expires,
            batch_id=batch,
            created_at=created,
            replayed=replayed,
        )
    ]


def _unwrap(outcome: list[TransferResult] | errors.LedgerError) -> list[TransferResult]:
    if isinstance(outcome, errors.LedgerError):
        raise outcome
    return outcome


def _retryable(exc: DatabaseError) -> bool:
    cause = exc.__cause__
    sqlstate = getattr(cause, "sqlstate", None)
    if sqlstate is not None:
        return sqlstate in _RETRY_SQLSTATES
    text = str(exc).lower()
    # SQLite: a writer waited past its busy timeout, or a racing insert of the same id.
    return "database is locked" in text or "unique constraint failed" in text


def expiry_id(pending_id: uuid.UUID) -> uuid.UUID:
    """The id of the transfer that expires a hold: the same from every sweeper."""
    return uuid.uuid5(LEDGER_NAMESPACE, f"expire:{pending_id}")


def default_batch_id(first_id: uuid.UUID) -> uuid.UUID:
    return uuid.uuid5(LEDGER_NAMESPACE, f"batch:{first_id}")


# --- preparation (no database) ----------------------------------------------------------


def _account_id(ref: AccountRef | None) -> int | None:
    if ref is None:
        return None
    if isinstance(ref, Account):
        if ref.pk is None:
            raise errors.AccountNotFound(account_id=None)
        return int(ref.pk)
    return int(ref)


def payload_hash(
    spec: TransferSpec, debit_id: int | None, credit_id: int | None
) -> tuple[str, str]:
    """sha256 of everything the caller asked for (a retry under the same id must match),
    and the metadata as stored JSON."""
    try:
        metadata = (
            json.dumps(dict(spec.metadata), sort_keys=True, separators=(",", ":"), allow_nan=False)
            if spec.metadata
            else "{}"
        )
    except (TypeError, ValueError):
        raise errors.InvalidTransfer(
            "Metadata must be JSON-serialisable.", transfer_id=str(spec.id)
        ) from None
    amount = spec.amount
    # repr of a tuple of str/int/float/None is unambiguous and stable across runs.
    canonical = repr(
        (
            str(spec.kind),
            debit_id,
            credit_id,
            None if amount is None else amount.minor,
            None if amount is None else amount.currency,
            spec.purpose,
            spec.reference,
            metadata,
            None if spec.pending_id is None else str(spec.pending_id),
            None if spec.timeout is None else spec.timeout.total_seconds(),
        )
    )
    return hashlib.sha256(canonical.encode()).hexdigest(), metadata


def _prepare_all(specs: Sequence[TransferSpec]) -> list[_Prepared]:
    """Refuse requests that are wrong whatever the ledger's state (nothing is stored)."""
    seen: set[uuid.UUID] = set()
    prepared: list[_Prepared] = []
    many = len(specs) > 1
    for index, spec in enumerate(specs):
        where: dict[str, Any] = {"transfer_id": str(spec.id)}
        if many:
            where["index"] = index
        if not isinstance(spec.id, uuid.UUID):
            raise errors.InvalidTransfer("The transfer id must be a UUID.", **where)
        if spec.id in seen:
            raise errors.DuplicateIdInBatch(**where)
        seen.add(spec.id)
        amount = spec.amount
        if amount is not None and (not isinstance(amount, Money) or amount.minor <= 0):
            raise errors.InvalidAmount(**where)
        debit_id = _account_id(spec.debit_account)
        credit_id = _account_id(spec.credit_account)
        kind = spec.kind
        if kind in (TransferKind.SINGLE, TransferKind.PENDING):
            if debit_id is None or credit_id is None or amount is None:
                raise errors.InvalidTransfer(
                    "A transfer needs a debit account, a credit account and an amount.", **where
                )
            if spec.pending_id is not None:
                raise errors.InvalidTransfer("Only a post or void names a hold.", **where)
        elif kind in (
            TransferKind.POST_PENDING,
            TransferKind.VOID_PENDING,
            TransferKind.EXPIRE_PENDING,
        ):
            if spec.pending_id is None:
                raise errors.InvalidTransfer("A post or void needs the hold's id.", **where)
        else:
            raise errors.InvalidTransfer(f"Unknown kind {kind!r}.", **where)
        if spec.timeout is not None and (
            kind != TransferKind.PENDING or spec.timeout <= timedelta(0)
        ):
            raise errors.InvalidTransfer("Only a hold has a timeout, and it is positive.", **where)
        if debit_id is not None and debit_id == credit_id:
            raise errors.SameAccount(**where)
        prepared.append(
            _Prepared(spec, index, *payload_hash(spec, debit_id, credit_id), debit_id, credit_id)
        )
    return prepared


# --- locking and looking up ---------------------------------------------------------------


_ACCOUNT_COLUMNS: Final = (
    "id, currency, hot, closed, debits_must_not_exceed_credits, credits_must_not_exceed_debits,"
    " debits_pending, debits_posted, credits_pending, credits_posted"
)


def accounts_lock_against_overspend(account_ids: Iterable[int]) -> dict[int, _AccountState]:
    """Lock the touched non-hot accounts in primary-key order and read all touched ones.

    Race it prevents: two bookings reading the same wallet balance and both spending it
    (an overdraft the account's limit forbids); the fixed order prevents two bookings
    over the same accounts from deadlocking. It is `FOR NO KEY UPDATE`: it excludes
    other bookers but not the foreign-key checks (KEY SHARE) of transfers that merely
    reference the account. Hot accounts are read without a lock: they carry no limits,
    and their counters change through appended deltas. SQLite serialises writers (BEGIN
    IMMEDIATE), so a plain read suffices there. On PostgreSQL `_lock_and_look_up` sends
    the same lock (`_PG_LOCK_SQL`) together with the id look-ups in one round trip.
    """
    ids = sorted(set(account_ids))
    if not ids:
        return {}
    if is_postgres():
        with connection.cursor() as cursor:
            cursor.execute(_PG_LOCK_SQL, [ids, ids])
            return _account_states(cursor.fetchall())
    return _account_states(
        rows_select_in(f"SELECT {_ACCOUNT_COLUMNS} FROM ledger_account WHERE id {{in}}", ids)  # noqa: S608
    )


_PG_LOCK_SQL: Final = (
    f"WITH locked AS (SELECT {_ACCOUNT_COLUMNS} FROM ledger_account"  # noqa: S608
    " WHERE id = ANY(%s) AND NOT hot ORDER BY id FOR NO KEY UPDATE)"
    f" SELECT * FROM locked UNION ALL SELECT {_ACCOUNT_COLUMNS} FROM ledger_account"
    " WHERE id = ANY(%s) AND hot"
)


def _account_states(rows: Iterable[Sequence[Any]]) -> dict[int, _AccountState]:
    return {
        int(row[0]): _AccountState(
            int(row[0]),
            row[1],
            bool(row[2]),
            bool(row[3]),
            bool(row[4]),
            bool(row[5]),
            int(row[6]),
            int(row[7]),
            int(row[8]),
            int(row[9]),
        )
        for row in rows
    }


_KNOWN_SQL: Final = (
    "SELECT id, 't', payload_hash, '' FROM ledger_transfer WHERE id {in}"
    " UNION ALL SELECT id, 'f', payload_hash, code FROM ledger_failedtransfer WHERE id {in}"
)
_RESOLVED_SQL: Final = "SELECT pending_id, kind FROM ledger_transfer WHERE pending_id {in}"


def _lock_and_look_up(
    account_ids: Iterable[int], ids: Sequence[uuid.UUID], pending_ids: Sequence[uuid.UUID]
) -> tuple[dict[int, _AccountState], dict[uuid.UUID, tuple[str, str, str]], dict[uuid.UUID, str]]:
    """Lock the accounts, then look up the ids and the holds' resolutions.

    The look-ups run after the locks, so a racing caller's booking of the same id or
    hold is visible (under READ COMMITTED each statement sees what committed before it
    started). On PostgreSQL the statements travel in one round trip; a race that still
    slips through ends in a unique violation on the id or the hold, and the retry sees
    the winner.
    """
    known: dict[uuid.UUID, tuple[str, str, str]] = {}
    resolved: dict[uuid.UUID, str] = {}
    if not is_postgres():
        accounts = accounts_lock_against_overspend(account_ids)
        for row in rows_select_in(_KNOWN_SQL, [db_uuid(x) for x in ids]):
            known[py_uuid(row[0])] = (row[1], row[2], row[3])
        for row in rows_select_in(_RESOLVED_SQL, [db_uuid(x) for x in pending_ids]):
            resolved[py_uuid(row[0])] = row[1]
        return accounts, known, resolved
    sorted_ids = sorted(set(account_ids))
    statements = [_PG_LOCK_SQL, _KNOWN_SQL.replace("{in}", "= ANY(%s::uuid[])")]
    # The ids as one array literal: psycopg's per-element quoting of ten thousand UUIDs
    # costs more than the look-up itself.
    id_array = "{" + ",".join(map(str, ids)) + "}"
    params: list[Any] = [sorted_ids, sorted_ids, id_array, id_array]
    if pending_ids:
        statements.append(_RESOLVED_SQL.replace("{in}", "= ANY(%s)"))
        params.append(list(pending_ids))
    with connection.cursor() as cursor:
        cursor.execute("; ".join(statements), params)
        accounts = _account_states(cursor.fetchall())
        cursor.nextset()
        for row in cursor.fetchall():
            known[row[0]] = (row[1], row[2], row[3])
        if pending_ids:
            cursor.nextset()
            for row in cursor.fetchall():
                resolved[row[0]] = row[1]
    return accounts, known, resolved


def _holds_load(pending_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, _Hold]:
    rows = Transfer.objects.filter(pk__in=pending_ids).values_list(
        "id", "kind", "debit_account_id", "credit_account_id", "amount", "currency", "expires_at"
    )
    return {row[0]: _Hold(*row) for row in rows}


# --- one attempt ------------------------------------------------------------------------


def _book_once(
    prepared: list[_Prepared], *, batch_id: uuid.UUID | None, skip_resolved: bool
) -> list[TransferResult] | errors.LedgerError:
    now = clock.now()
    ids = [item.spec.id for item in prepared]
    in_call = set(ids)
    pending_ids = sorted(
        {
            item.spec.pending_id
            for item in prepared
            if item.spec.pending_id is not None and item.spec.pending_id not in in_call
        }
    )
    holds = _holds_load(pending_ids) if pending_ids else {}
    account_ids: set[int] = set()
    for item in prepared:
        account_ids.update(x for x in (item.debit_id, item.credit_id) if x is not None)
    for hold in holds.values():
        account_ids.update((hold.debit_id, hold.credit_id))
    accounts, known, resolved = _lock_and_look_up(account_ids, ids, pending_ids)
    for pending_id, kind in resolved.items():
        resolved_hold = holds.get(pending_id)
        if resolved_hold is not None:
            resolved_hold.resolved_by = kind

    if known:
        if skip_resolved:
            prepared = [item for item in prepared if item.spec.id not in known]
        else:
            return _replay(prepared, known)

    many = len(prepared) > 1
    rows: list[TransferResult] = []
    hashes: list[str] = []
    metadata: list[str] = []
    for item in prepared:
        try:
            result = _apply(item, accounts, holds, now=now, batch_id=batch_id)
        except errors.LedgerError as error:
            if skip_resolved and isinstance(
                error, errors.HoldAlreadyPosted | errors.HoldAlreadyVoided | errors.HoldExpired
            ):
                continue
            fields = dict(error.fields)
            fields.setdefault("transfer_id", str(item.spec.id))
            if many:
                fields.setdefault("index", item.index)
            error.fields = fields
            if isinstance(error, errors.REMEMBERED_FAILURES):
                FailedTransfer.objects.create(
                    id=item.spec.id,
                    code=error.code,
                    payload_hash=item.payload_hash,
                    fields={key: str(value) for key, value in fields.items()},
                    created_at=now,
                )
            return error
        rows.append(result)
        hashes.append(item.payload_hash)
        metadata.append(item.metadata)
    _write(rows, hashes, metadata, accounts)
    if rows:
        # Counted once the booking is committed (a rolled-back batch booked nothing).
        transaction.on_commit(partial(metrics.count_ledger_transfers, len(rows)))
    return rows


def _replay(
    prepared: list[_Prepared], known: Mapping[uuid.UUID, tuple[str, str, str]]
) -> list[TransferResult] | errors.LedgerError:
    """Decide the outcome of a request whose ids were seen before (nothing is written)."""
    many = len(prepared) > 1
    for item in prepared:
        where: dict[str, Any] = {"transfer_id": str(item.spec.id)}
        if many:
            where["index"] = item.index
        seen = known.get(item.spec.id)
        if seen is None:
            # Part of the request was booked before and part not: not the same request.
            raise errors.IdConflict(**where)
        table, stored_hash, code = seen
        if stored_hash != item.payload_hash:
            raise errors.IdConflict(**where)
        if table == "f":
            raise errors.IdAlreadyFailed(original_code=code, **where)
    stored = {t.id: t for t in Transfer.objects.filter(pk__in=[item.spec.id for item in prepared])}
    return [result_from_row(stored[item.spec.id], replayed=True) for item in prepared]


def result_from_row(row: Transfer, *, replayed: bool = False) -> TransferResult:
    return TransferResult(
        id=row.id,
        kind=TransferKind(row.kind),
        debit_account_id=row.debit_account_id,
        credit_account_id=row.credit_account_id,
        amount=Money(row.amount, row.currency),
        purpose=row.purpose,
        reference=row.reference,
        pending_id=row.pending_id,
        expires_at=row.expires_at,
        batch_id=row.batch_id,
        created_at=row.created_at,
        replayed=replayed,
    )


def _open_account(accounts: Mapping[int, _AccountState], account_id: int) -> _AccountState:
    state = accounts.get(account_id)
    if state is None:
        raise errors.AccountNotFound(account_id=account_id)
    return state


def _apply(
    item: _Prepared,
    accounts: dict[int, _AccountState],
    holds: dict[uuid.UUID, _Hold],
    *,
    now: datetime,
    batch_id: uuid.UUID | None,
) -> TransferResult:
    """Apply one request to the in-memory counters; raise a LedgerError to abort."""
    spec = item.spec
    kind = spec.kind
    expires_at: datetime | None = None
    if kind in (TransferKind.SINGLE, TransferKind.PENDING):
        assert item.debit_id is not None and item.credit_id is not None  # noqa: PT018
        assert spec.amount is not None
        debit = _open_account(accounts, item.debit_id)
        credit = _open_account(accounts, item.credit_id)
        for state in (debit, credit):
            if state.closed:
                raise errors.AccountClosed(account_id=state.id)
        currency = spec.amount.currency
        if debit.currency != currency or credit.currency != currency:
            raise errors.CurrencyMismatch(
                amount=currency, debit=debit.currency, credit=credit.currency
            )
        amount = spec.amount.minor
        if kind == TransferKind.PENDING:
            debit.debits_pending += amount
            debit.d_debits_pending += amount
            credit.credits_pending += amount
            credit.d_credits_pending += amount
            if spec.timeout is not None:
                expires_at = now + spec.timeout
            holds[spec.id] = _Hold(spec.id, kind, debit.id, credit.id, amount, currency, expires_at)
        else:
            debit.debits_posted += amount
            debit.d_debits_posted += amount
            credit.credits_posted += amount
            credit.d_credits_posted += amount
        # Pending debits count against the limit, pending credits do not (TigerBeetle).
        if debit.debits_must_not_exceed_credits and (
            debit.debits_pending + debit.debits_posted > debit.credits_posted
        ):
            raise errors.ExceedsCredits(
                account_id=debit.id,
                # What was available before this request (it is already counted above).
                available=debit.credits_posted
                - debit.debits_posted
                - debit.debits_pending
                + amount,
                amount=amount,
            )
        if credit.credits_must_not_exceed_debits and (
            credit.credits_pending + credit.credits_posted > credit.debits_posted
        ):
            raise errors.ExceedsDebits(account_id=credit.id, amount=amount)
        return TransferResult(
            id=spec.id,
            kind=TransferKind(kind),
            debit_account_id=debit.id,
            credit_account_id=credit.id,
            amount=spec.amount,
            purpose=spec.purpose,
            reference=spec.reference,
            pending_id=None,
            expires_at=expires_at,
            batch_id=batch_id,
            created_at=now,
            replayed=False,
        )

    assert spec.pending_id is not None
    found = holds.get(spec.pending_id)
    if found is None or found.kind != TransferKind.PENDING:
        raise errors.HoldNotFound(pending_id=str(spec.pending_id))
    hold = found
    if hold.resolved_by == TransferKind.POST_PENDING:
        raise errors.HoldAlreadyPosted(pending_id=str(hold.id))
    if hold.resolved_by == TransferKind.VOID_PENDING:
        raise errors.HoldAlreadyVoided(pending_id=str(hold.id))
    if hold.resolved_by == TransferKind.EXPIRE_PENDING:
        raise errors.HoldExpired(pending_id=str(hold.id))
    is_due = hold.expires_at is not None and now >= hold.expires_at
    if kind == TransferKind.EXPIRE_PENDING:
        if not is_due:
            raise errors.InvalidTransfer("The hold has not expired yet.", pending_id=str(hold.id))
    elif is_due:
        raise errors.HoldExpired(pending_id=str(hold.id))
    for given, actual in ((item.debit_id, hold.debit_id), (item.credit_id, hold.credit_id)):
        if given is not None and given != actual:
            raise errors.HoldMismatch(pending_id=str(hold.id), account_id=given)
    if spec.amount is not None and spec.amount.currency != hold.currency:
        raise errors.CurrencyMismatch(amount=spec.amount.currency, hold=hold.currency)
    debit = _open_account(accounts, hold.debit_id)
    credit = _open_account(accounts, hold.credit_id)
    held = hold.amount
    if kind == TransferKind.POST_PENDING:
        for state in (debit, credit):
            if state.closed:
                raise errors.AccountClosed(account_id=state.id)
        amount = held if spec.amount is None else spec.amount.minor
        if amount > held:
            raise errors.ExceedsHeldAmount(pending_id=str(hold.id), held=held, amount=amount)
        debit.debits_posted += amount
        debit.d_debits_posted += amount
        credit.credits_posted += amount
        credit.d_credits_posted += amount
    else:
        if spec.amount is not None and spec.amount.minor != held:
            raise errors.HoldMismatch(pending_id=str(hold.id), held=held)
        amount = held
    debit.debits_pending -= held
    debit.d_debits_pending -= held
    credit.credits_pending -= held
    credit.d_credits_pending -= held
    hold.resolved_by = kind
    return TransferResult(
        id=spec.id,
        kind=TransferKind(kind),
        debit_account_id=debit.id,
        credit_account_id=credit.id,
        amount=Money(amount, hold.currency),
        purpose=spec.purpose,
        reference=spec.reference,
        pending_id=hold.id,
        expires_at=None,
        batch_id=batch_id,
        created_at=now,
        replayed=False,
    )


# --- writes ---------------------------------------------------------------------------------

_TRANSFER_COLUMNS: Final = (
    "id",
    "kind",
    "debit_account_id",
    "credit_account_id",
    "amount",
    "currency",
    "purpose",
    "reference",
    "metadata",
    "pending_id",
    "expires_at",
    "batch_id",
    "payload_hash",
    "created_at",
)
# A batch this large goes through COPY on PostgreSQL; smaller ones through one INSERT.
_COPY_FROM: Final = 50


def _write(
    results: list[TransferResult],
    hashes: list[str],
    metadata: list[str],
    accounts: Mapping[int, _AccountState],
) -> None:
    """Insert the transfers and apply the counter changes. Caller holds the row locks."""
    if not results:
        return
    postgres = is_postgres()
    ops = connection.ops

    # UUIDs as the backend stores them (`core.db.db_uuid`, without its per-call look-up
    # of the connection: a batch has tens of thousands).
    as_db: Any = (lambda value: value) if postgres else (lambda value: value.hex)

    def row(result: TransferResult, digest: str, meta: str) -> tuple[Any, ...]:
        created_at: Any = result.created_at
        expires_at: Any = result.expires_at
        if not postgres:
            created_at = ops.adapt_datetimefield_value(created_at)
            expires_at = ops.adapt_datetimefield_value(expires_at)
        return (
            as_db(result.id),
            str(result.kind),
            result.debit_account_id,
            result.credit_account_id,
            result.amount.minor,
            result.amount.currency,
            result.purpose,
            result.reference,
            meta,
            None if result.pending_id is None else as_db(result.pending_id),
            expires_at,
            None if result.batch_id is None else as_db(result.batch_id),
            digest,
            created_at,
        )

    columns = ", ".join(_TRANSFER_COLUMNS)
    marks = "(" + ", ".join(["%s"] * len(_TRANSFER_COLUMNS)) + ")"
    # Statements to run after the transfers are in; on PostgreSQL they travel together
    # in one round trip (the single-transfer path costs BEGIN, one read, one write, COMMIT).
    statements: list[tuple[str, list[Any]]] = []
    copy_rows = postgres and len(results) >= _COPY_FROM
    if postgres and not copy_rows:
        params: list[Any] = []
        for entry in zip(results, hashes, metadata, strict=True):
            params.extend(row(*entry))
        statements.append(
            (
                f"INSERT INTO ledger_transfer ({columns}) VALUES "  # noqa: S608
                + ", ".join([marks] * len(results)),
                params,
            )
        )
    changed = [
        state
        for state in accounts.values()
        if state.d_debits_pending
        or state.d_debits_posted
        or state.d_credits_pending
        or state.d_credits_posted
    ]
    # The counter changes of all locked accounts in one statement. On PostgreSQL the
    # values travel as five arrays (a batch may touch thousands of accounts, and
    # thousands of placeholders cost more to render than the update takes).
    locked = [state for state in changed if not state.hot]
    hot = [state for state in changed if state.hot]
    set_counters = (
        " UPDATE ledger_account SET"
        " debits_pending = ledger_account.debits_pending + v.dpe,"
        " debits_posted = ledger_account.debits_posted + v.dpo,"
        " credits_pending = ledger_account.credits_pending + v.cpe,"
        " credits_posted = ledger_account.credits_posted + v.cpo"
        " FROM v WHERE ledger_account.id = v.id"
    )
    if locked and postgres:
        statements.append(
            (
                "WITH v(id, dpe, dpo, cpe, cpo) AS (SELECT * FROM unnest(%s::bigint[],"  # noqa: S608
                " %s::bigint[], %s::bigint[], %s::bigint[], %s::bigint[]))" + set_counters,
                [
                    list(column)
                    for column in zip(*(_deltas(state) for state in locked), strict=True)
                ],
            )
        )
    elif locked:
        values = ", ".join(["(%s, %s, %s, %s, %s)"] * len(locked))
        statements.append(
            (
                f"WITH v(id, dpe, dpo, cpe, cpo) AS (VALUES {values})" + set_counters,
                [value for state in locked for value in _deltas(state)],
            )
        )
    if hot:
        values = ", ".join(["(%s, %s, %s, %s, %s)"] * len(hot))
        statements.append(
            (
                "INSERT INTO ledger_accountdelta"  # noqa: S608
                " (account_id, debits_pending, debits_posted, credits_pending, credits_posted)"
                f" VALUES {values}",
                [value for state in hot for value in _deltas(state)],
            )
        )

    with connection.cursor() as cursor:
        if copy_rows:
            with cursor.cursor.copy(f"COPY ledger_transfer ({columns}) FROM STDIN") as copy:
                copy.write(_copy_text(results, hashes, metadata))
        if postgres:
            cursor.execute(
                "; ".join(sql for sql, _ in statements),
                [param for _, params in statements for param in params],
            )
        else:
            cursor.executemany(
                f"INSERT INTO ledger_transfer ({columns}) VALUES {marks}",  # noqa: S608
                [row(*entry) for entry in zip(results, hashes, metadata, strict=True)],
            )
            for sql, params in statements:
                cursor.execute(sql, params)


def _copy_escape(value: str) -> str:
    """A value in COPY's text format (backslash, tab and line breaks escaped)."""
    if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
        value = (
            value.replace("\\", "\\\\")
            .replace("\t", "\\t")
            .replace("\n", "\\n")
            .replace("\r", "\\r")
        )
    return value


def _copy_text(results: list[TransferResult], hashes: list[str], metadata: list[str]) -> str:
    """The transfers as one COPY text payload, in `_TRANSFER_COLUMNS` order: built with
    str operations, several times faster than psycopg's per-value `write_row`."""
    esc = _copy_escape
    lines = []
    # One call books at one moment under one batch id: format them once.
    created = results[0].created_at
    created_text = created.isoformat()
    batch_id = results[0].batch_id
    batch_text = "\\N" if batch_id is None else str(batch_id)
    for result, digest, meta in zip(results, hashes, metadata, strict=True):
        pending = result.pending_id
        expires = result.expires_at
        batch = result.batch_id
        lines.append(
            "\t".join(
                (
                    str(result.id),
                    str(result.kind),
                    str(result.debit_account_id),
                    str(result.credit_account_id),
                    str(result.amount.minor),
                    esc(result.amount.currency),
                    esc(result.purpose),
                    esc(result.reference),
                    esc(meta),
                    "\\N" if pending is None else str(pending),
                    "\\N" if expires is None else expires.isoformat(),
                    batch_text if batch == batch_id else str(batch),
                    digest,
                    created_text if result.created_at == created else result.created_at.isoformat(),
                )
            )
        )
    lines.append("")
    return "\n".join(lines)


def _deltas(state: _AccountState) -> tuple[int, int, int, int, int]:
    return (
        state.id,
        state.d_debits_pending,
        state.d_debits_posted,
        state.d_credits_pending,
        state.d_credits_posted,
    )
