"""A client's wallet accounts on the ledger and its balance (see the package
docstring); the helpers the other wallet services share."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Final

from sprechzeit.accounts.models import ClientAccount, Partner
from sprechzeit.core import clock
from sprechzeit.core.money import Money
from sprechzeit.ledger import selectors as ledger_selectors
from sprechzeit.ledger import services as ledger
from sprechzeit.ledger.models import Account, AccountPurpose
from sprechzeit.platforms.models import Platform
from sprechzeit.wallets import errors
from sprechzeit.wallets.state import wallet_state

OWNER_CLIENT: Final = "accounts.clientaccount"
OWNER_PLATFORM: Final = "platforms.platform"
OWNER_PARTNER: Final = "accounts.partner"
# Namespace of the ledger ids the wallets derive (legs of one use case).
WALLET_NAMESPACE: Final = uuid.UUID("6d1c2f55-8a0e-4c57-9d4b-2b7e0f3a9c61")
BLOCK_CHARGEBACK: Final = "chargeback"


def leg_id(base: uuid.UUID, leg: str) -> uuid.UUID:
    """The ledger id of one leg of the use case whose id is `base` (the same on a retry)."""
    return uuid.uuid5(WALLET_NAMESPACE, f"{base}:{leg}")


# --- accounts -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Wallet:
    client_account_id: int
    platform_id: int
    currency: str
    paid: Account
    bonus: Account
    receivable: Account


@dataclass(frozen=True, slots=True)
class WalletBalance:
    """What a client has. `pending` is what running holds reserve (paid + bonus);
    `available` what may still be spent; `total` = paid + bonus − receivable, negative
    after a chargeback took more than was left."""

    paid: Money
    bonus: Money
    pending: Money
    available: Money
    receivable: Money
    total: Money

    @property
    def negative(self) -> bool:
        return self.total.minor < 0


def platform_account(*, platform: Platform, purpose: AccountPurpose) -> Account:
    """A platform's own system account (revenue, VAT, clearing, promotion …)."""
    return ledger.account_get_or_create(
        purpose=purpose,
        currency=platform.currency,
        owner_type=OWNER_PLATFORM,
        owner_id=str(platform.pk),
        name=f"{platform.slug} {purpose}",
    )


def partner_payable_account(*, partner: Partner, currency: str) -> Account:
    """What the operator owes `partner` (one account per partner and currency)."""
    return ledger.account_get_or_create(
        purpose=AccountPurpose.PARTNER_PAYABLE,
        currency=currency,
        owner_type=OWNER_PARTNER,
        owner_id=str(partner.pk),
    )


def wallet_for(client_account: ClientAccount) -> Wallet:
    """The client's wallet accounts, created on first use (safe under concurrent use)."""
    owner = str(client_account.pk)
    currency = client_account.platform.currency
    wallet_state(client_account)

    accounts = ledger.accounts_get_or_create(
        purposes=(
            AccountPurpose.CLIENT_WALLET,
            AccountPurpose.CLIENT_BONUS,
            AccountPurpose.CLIENT_RECEIVABLE,
        ),
        currency=currency,
        owner_type=OWNER_CLIENT,
        owner_id=owner,
    )
    return Wallet(
        client_account_id=int(client_account.pk),
        platform_id=int(client_account.platform_id),
        currency=currency,
        paid=accounts[AccountPurpose.CLIENT_WALLET],
        bonus=accounts[AccountPurpose.CLIENT_BONUS],
        receivable=accounts[AccountPurpose.CLIENT_RECEIVABLE],
    )


def wallet_balance(*, client_account: ClientAccount) -> WalletBalance:
    """The client's balance as committed right now (read from the ledger)."""
    wallet = wallet_for(client_account)
    balances = ledger_selectors.accounts_balances(
        accounts=[wallet.paid, wallet.bonus, wallet.receivable]
    )
    paid = balances[int(wallet.paid.pk)]
    bonus = balances[int(wallet.bonus.pk)]
    receivable = balances[int(wallet.receivable.pk)].posted
    held = Money(paid.counters.debits_pending + bonus.counters.debits_pending, wallet.currency)
    return WalletBalance(
        paid=paid.posted,
        bonus=bonus.posted,
        pending=held,
        available=paid.available + bonus.available,
        receivable=receivable,
        total=paid.posted + bonus.posted - receivable,
    )


# --- money in and out -----------------------------------------------------------------------


def transfers_booked(*ids: uuid.UUID) -> list[ledger.TransferResult]:
    """The transfers already booked under `ids` (a retried use case returns them)."""
    found = []
    for transfer_id in ids:
        result = ledger_selectors.transfer_get(id=transfer_id)
        if result is not None:
            found.append(result)
    return found


def booked_amount(
    results: list[ledger.TransferResult], transfer_id: uuid.UUID, zero: Money
) -> Money:
    """The amount booked under `transfer_id` among `results`; `zero` when none was."""
    for result in results:
        if result.id == transfer_id:
            return result.amount
    return zero


def wallet_check_currency(wallet: Wallet, amount: Money) -> None:
    """Raise `CurrencyNotSupported` unless `amount` is in the wallet's currency."""
    if amount.currency != wallet.currency:
        raise errors.CurrencyNotSupported(currency=amount.currency, expected=wallet.currency)


# --- holds for consultations -------------------------------------------------------------


def wallet_check_spend(*, client_account: ClientAccount) -> None:
    """Raise when the client may not start anything that spends (blocked, self-excluded)."""
    state = wallet_state(client_account)
    if state.blocked_at is not None:
        raise errors.WalletBlocked(reason=state.blocked_reason)
    if state.excluded_until is not None and state.excluded_until > clock.now():
        raise errors.SelfExcluded(until=state.excluded_until.isoformat())
