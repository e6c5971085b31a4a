"""Wallet reads. Tenant-owned reads take the platform first."""

from __future__ import annotations

from django.db.models import F, QuerySet

from sprechzeit.ledger.models import Account, AccountPurpose
from sprechzeit.platforms.models import Platform
from sprechzeit.wallets.models import WalletState
from sprechzeit.wallets.services.accounts import OWNER_CLIENT


def wallets_blocked(platform: Platform) -> QuerySet[WalletState]:
    return WalletState.objects.filter(
        client_account__platform=platform, blocked_at__isnull=False
    ).select_related("client_account__user")


def clients_with_receivable() -> list[int]:
    """Ids of client accounts that owe the operator money (a negative balance). The
    receivable account is not hot, so its row counters are complete."""
    owners = Account.objects.filter(
        purpose=AccountPurpose.CLIENT_RECEIVABLE,
        owner_type=OWNER_CLIENT,
        debits_posted__gt=F("credits_posted"),
    ).values_list("owner_id", flat=True)
    return [int(owner) for owner in owners]
