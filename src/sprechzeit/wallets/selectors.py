"""Wallet reads. Tenant-owned reads take the platform first."""

from __future__ import annotations

from django.db.models import QuerySet

from sprechzeit.platforms.models import Platform
from sprechzeit.wallets.models import WalletState


def wallets_blocked(platform: Platform) -> QuerySet[WalletState]:
    return WalletState.objects.filter(
        client_account__platform=platform, blocked_at__isnull=False
    ).select_related("client_account__user")
