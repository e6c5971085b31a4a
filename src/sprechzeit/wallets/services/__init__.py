"""Wallet writes. Every balance lives on the ledger; these services only decide which
transfers to book and book them through `ledger.services`.

A client's wallet is three ledger accounts, owned by the client account:

- `client_wallet` (paid balance; debits may not exceed credits),
- `client_bonus` (promotions; spent first, never paid out),
- `client_receivable` (what the client owes after a chargeback took more than the
  paid balance: the wallet "goes negative" here, because the ledger never lets a
  wallet account go below zero).

The balance a client sees is paid + bonus − receivable.

Locks: every write that reads a balance to decide what to book takes the wallet lock
(`wallets.locks.wallet_lock_against_stale_balance`: the client's `WalletState` row, FOR
UPDATE) first, so two writes on one wallet never decide on the same stale balance. The
ledger still checks every limit.

Ids: callers pass one UUID per use case; the legs derive from it (`leg_id`), so a
retried call books nothing twice and returns the first outcome.
"""

from __future__ import annotations

from sprechzeit.wallets.services.accounts import (
    BLOCK_CHARGEBACK,
    OWNER_CLIENT,
    OWNER_PARTNER,
    OWNER_PLATFORM,
    WALLET_NAMESPACE,
    Wallet,
    WalletBalance,
    partner_payable_account,
    platform_account,
    wallet_balance,
    wallet_check_spend,
    wallet_for,
)
from sprechzeit.wallets.services.holds import (
    WalletHold,
    WalletSettlement,
    wallet_hold,
    wallet_hold_parts,
    wallet_release,
    wallet_settle,
)
from sprechzeit.wallets.services.limits import (
    DepositLimit,
    wallet_block,
    wallet_check_deposit,
    wallet_deposit_limit,
    wallet_is_trusted,
    wallet_mark_trusted,
    wallet_self_exclude,
    wallet_set_deposit_limit,
    wallet_unblock,
)
from sprechzeit.wallets.services.money import (
    ChargebackBooking,
    WalletCredit,
    wallet_chargeback,
    wallet_credit,
    wallet_goodwill_credit,
    wallet_refund_debit,
    wallet_write_off,
)
from sprechzeit.wallets.services.welcome import (
    normalise_email,
    wallet_open,
    welcome_credit_after_verification,
    welcome_credit_grant,
)
from sprechzeit.wallets.state import wallet_settings

__all__ = [
    "BLOCK_CHARGEBACK",
    "OWNER_CLIENT",
    "OWNER_PARTNER",
    "OWNER_PLATFORM",
    "WALLET_NAMESPACE",
    "ChargebackBooking",
    "DepositLimit",
    "Wallet",
    "WalletBalance",
    "WalletCredit",
    "WalletHold",
    "WalletSettlement",
    "normalise_email",
    "partner_payable_account",
    "platform_account",
    "wallet_balance",
    "wallet_block",
    "wallet_chargeback",
    "wallet_check_deposit",
    "wallet_check_spend",
    "wallet_credit",
    "wallet_deposit_limit",
    "wallet_for",
    "wallet_goodwill_credit",
    "wallet_hold",
    "wallet_hold_parts",
    "wallet_is_trusted",
    "wallet_mark_trusted",
    "wallet_open",
    "wallet_refund_debit",
    "wallet_release",
    "wallet_self_exclude",
    "wallet_set_deposit_limit",
    "wallet_settings",
    "wallet_settle",
    "wallet_unblock",
    "wallet_write_off",
    "welcome_credit_after_verification",
    "welcome_credit_grant",
]
