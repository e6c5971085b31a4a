"""Row locks of the wallets app, each named for the race it prevents. Every lock is
taken inside the caller's transaction and held until it commits."""

from __future__ import annotations

from sprechzeit.accounts.models import ClientAccount
from sprechzeit.wallets.models import WalletState
from sprechzeit.wallets.state import wallet_state


def wallet_lock_against_stale_balance(*, client_account: ClientAccount) -> WalletState:
    """Lock this client's wallet (its `WalletState` row, FOR UPDATE; created on first
    use) and return the locked row.

    Race it prevents: two writes on one wallet (a credit and a chargeback, two holds,
    two checkouts against the deposit limit) both reading the same balance or limit and
    both deciding on it, so that together they split a credit wrongly or spend or
    deposit more than allowed. The ledger still checks every account limit; this lock
    makes the decisions above it consistent.
    """
    wallet_state(client_account)
    return WalletState.objects.select_for_update().get(client_account=client_account)
