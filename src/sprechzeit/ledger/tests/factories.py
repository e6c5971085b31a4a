"""Factories for ledger tests: accounts by purpose, funded wallets, fresh ids."""

from __future__ import annotations

import itertools
import uuid

from sprechzeit.core.money import EUR, Money
from sprechzeit.ledger import services
from sprechzeit.ledger.models import Account, AccountPurpose

_owner_ids = itertools.count(1)


def new_id() -> uuid.UUID:
    return uuid.uuid4()


def eur(minor: int) -> Money:
    return Money(minor, EUR)


def account(
    purpose: AccountPurpose = AccountPurpose.CLIENT_WALLET,
    *,
    currency: str = EUR,
    owner_type: str | None = None,
    owner_id: str | None = None,
) -> Account:
    """An account of `purpose`; owner-held purposes get a fresh owner unless given."""
    if owner_type is None:
        owner_type = "tests.owner"
        owner_id = str(next(_owner_ids))
    return services.account_get_or_create(
        purpose=purpose, currency=currency, owner_type=owner_type, owner_id=owner_id or ""
    )


def system(purpose: AccountPurpose, *, currency: str = EUR) -> Account:
    """The operator's own account of `purpose` (no owner)."""
    return services.account_get_or_create(purpose=purpose, currency=currency)


def funded_wallet(minor: int, *, currency: str = EUR) -> Account:
    """A client wallet topped up with `minor` from the provider clearing account."""
    wallet = account(AccountPurpose.CLIENT_WALLET, currency=currency)
    if minor:
        services.transfer_post(
            id=new_id(),
            debit_account=system(AccountPurpose.PROVIDER_CLEARING, currency=currency),
            credit_account=wallet,
            amount=Money(minor, currency),
            purpose="top_up",
        )
    return wallet
