"""Blocking, trust, the monthly deposit limit (lower at once, raise after cooling off)
and self-exclusion."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction

from sprechzeit.accounts.models import ClientAccount
from sprechzeit.core import clock
from sprechzeit.core.money import Money
from sprechzeit.wallets import errors
from sprechzeit.wallets.locks import wallet_lock_against_stale_balance
from sprechzeit.wallets.models import WalletState
from sprechzeit.wallets.services.accounts import wallet_balance, wallet_check_spend
from sprechzeit.wallets.state import wallet_settings, wallet_state


@transaction.atomic
def wallet_block(*, client_account: ClientAccount, reason: str) -> WalletState:
    state = wallet_lock_against_stale_balance(client_account=client_account)
    if state.blocked_at is None:
        state.blocked_at = clock.now()
    state.blocked_reason = reason
    state.save(update_fields=["blocked_at", "blocked_reason"])
    return state


@transaction.atomic
def wallet_unblock(*, client_account: ClientAccount) -> WalletState:
    state = wallet_lock_against_stale_balance(client_account=client_account)
    state.blocked_at = None
    state.blocked_reason = ""
    state.save(update_fields=["blocked_at", "blocked_reason"])
    return state


@transaction.atomic
def wallet_mark_trusted(*, client_account: ClientAccount) -> None:
    """After a first successful payment: channels for trusted clients open up."""
    wallet_state(client_account)
    WalletState.objects.filter(client_account=client_account, trusted_at__isnull=True).update(
        trusted_at=clock.now()
    )


def wallet_is_trusted(*, client_account: ClientAccount) -> bool:
    return wallet_state(client_account).trusted_at is not None


def wallet_deposit_limit(*, client_account: ClientAccount) -> Money | None:
    """The monthly deposit limit in force now (a raise counts once its cooling-off
    period has passed). None: no limit."""
    state = wallet_state(client_account)
    currency = client_account.platform.currency
    if state.pending_limit_from is not None and state.pending_limit_from <= clock.now():
        WalletState.objects.filter(pk=state.pk, pending_limit_from=state.pending_limit_from).update(
            deposit_limit_minor=state.pending_limit_minor,
            pending_limit_minor=None,
            pending_limit_from=None,
        )
        state.deposit_limit_minor = state.pending_limit_minor
    limit = state.deposit_limit_minor
    return None if limit is None else Money(limit, currency)


@dataclass(frozen=True, slots=True)
class DepositLimit:
    current: Money | None
    pending: Money | None
    pending_from: datetime | None


@transaction.atomic
def wallet_set_deposit_limit(*, client_account: ClientAccount, limit: Money | None) -> DepositLimit:
    """Set the client's monthly deposit limit. Lowering takes effect at once; raising or
    removing waits for the platform's cooling-off period."""
    if limit is not None and limit.minor <= 0:
        raise errors.InvalidDepositLimit(limit_minor=limit.minor)
    current = wallet_deposit_limit(client_account=client_account)
    state = wallet_lock_against_stale_balance(client_account=client_account)
    lowering = limit is not None and (current is None or limit <= current)
    if lowering:
        assert limit is not None
        state.deposit_limit_minor = limit.minor
        state.pending_limit_minor = None
        state.pending_limit_from = None
    else:
        hours = wallet_settings(platform=client_account.platform).limit_raise_cooling_hours
        state.pending_limit_minor = None if limit is None else limit.minor
        state.pending_limit_from = clock.now() + timedelta(hours=hours)
    state.save(update_fields=["deposit_limit_minor", "pending_limit_minor", "pending_limit_from"])
    currency = client_account.platform.currency
    return DepositLimit(
        current=None
        if state.deposit_limit_minor is None
        else Money(state.deposit_limit_minor, currency),
        pending=None
        if state.pending_limit_minor is None
        else Money(state.pending_limit_minor, currency),
        pending_from=state.pending_limit_from,
    )


@transaction.atomic
def wallet_self_exclude(*, client_account: ClientAccount, until: datetime) -> WalletState:
    """Exclude oneself from top-ups and consultations until `until`; can only be
    extended, never shortened."""
    state = wallet_lock_against_stale_balance(client_account=client_account)
    if until <= clock.now() or (state.excluded_until is not None and until < state.excluded_until):
        raise errors.InvalidExclusion(until=until.isoformat())
    state.excluded_until = until
    state.save(update_fields=["excluded_until"])
    return state


def wallet_check_deposit(
    *, client_account: ClientAccount, amount: Money, deposited_this_month: Money
) -> None:
    """Raise when the client may not deposit `amount` now: blocked, self-excluded, or
    over the monthly limit counting `deposited_this_month` (the caller's sum of this
    calendar month's started and completed top-ups).

    A payment of no more than the client owes (a negative balance after a chargeback:
    dunning, an instalment) is always accepted: it only settles the receivable, which
    `wallet_credit` books first, so neither a block nor a limit stands in its way."""
    owed = wallet_balance(client_account=client_account).receivable
    if 0 < amount.minor <= owed.minor:
        return
    wallet_check_spend(client_account=client_account)
    limit = wallet_deposit_limit(client_account=client_account)
    if limit is not None and deposited_this_month + amount > limit:
        raise errors.DepositLimitExceeded(
            limit_minor=limit.minor,
            remaining_minor=max(0, (limit - deposited_this_month).minor),
        )


# --- welcome credit --------------------------------------------------------------------------
