"""The rows a wallet's rules live in (a platform's `WalletSettings`, a client's
`WalletState`), created on first use. Below the services and `wallets.locks`, which
both need them."""

from __future__ import annotations

from sprechzeit.accounts.models import ClientAccount
from sprechzeit.core import clock
from sprechzeit.platforms.models import Platform
from sprechzeit.wallets.models import WalletSettings, WalletState


def wallet_settings(*, platform: Platform) -> WalletSettings:
    """The platform's wallet rules (defaults until staff change them)."""
    settings, _created = WalletSettings.objects.get_or_create(platform=platform)
    return settings


def wallet_state(client_account: ClientAccount) -> WalletState:
    """The client's wallet state (blocked, trusted, deposit limit), unlocked."""
    state, _created = WalletState.objects.get_or_create(
        client_account=client_account,
        defaults={
            "created_at": clock.now(),
            "deposit_limit_minor": wallet_settings(
                platform=client_account.platform
            ).default_deposit_limit_minor,
        },
    )
    return state
