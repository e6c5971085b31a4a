"""Factories for payment tests: a platform with provider configurations and channels,
clients, and helpers to sign provider notifications."""

from __future__ import annotations

import itertools
from typing import Any

from sprechzeit.accounts.models import ClientAccount
from sprechzeit.accounts.tests.factories import client_create
from sprechzeit.core.money import EUR, Money
from sprechzeit.payments.models import ChannelPolicy, Payment, ProviderConfig, ProviderKind
from sprechzeit.payments.services import payments
from sprechzeit.platforms.models import Platform
from sprechzeit.platforms.tests.factories import platform_create

_seq = itertools.count(1)


def eur(minor: int) -> Money:
    return Money(minor, EUR)


def platform_with_channels(**overrides: Any) -> Platform:
    n = next(_seq)
    overrides.setdefault("slug", f"zahl{n}")
    overrides.setdefault("legal_entity", None)
    if overrides["legal_entity"] is None:
        del overrides["legal_entity"]
    return platform_create(**overrides)


def provider_config(platform: Platform, kind: ProviderKind, **overrides: Any) -> ProviderConfig:
    fields: dict[str, Any] = {"platform": platform, "kind": kind, "name": str(kind)}
    fields.update(overrides)
    return ProviderConfig.objects.create(**fields)


def channel(config: ProviderConfig, channel: str, **overrides: Any) -> ChannelPolicy:
    fields: dict[str, Any] = {
        "platform": config.platform,
        "provider_config": config,
        "channel": channel,
        "min_minor": 500,
        "max_minor": 50000,
        "presets": [1000, 2500, 5000],
    }
    fields.update(overrides)
    return ChannelPolicy.objects.create(**fields)


def sandbox_setup(**channel_overrides: Any) -> tuple[Platform, ProviderConfig, ChannelPolicy]:
    platform = platform_with_channels()
    config = provider_config(platform, ProviderKind.SANDBOX)
    policy = channel(config, "sandbox", **channel_overrides)
    return platform, config, policy


def client(platform: Platform, email: str | None = None) -> ClientAccount:
    return client_create(platform=platform, email=email)


def host(platform: Platform) -> dict[str, str]:
    return {"host": f"{platform.slug}.localhost"}


def sandbox_payment(*, account: ClientAccount, policy: ChannelPolicy, minor: int) -> Payment:
    """A checkout of `minor` cents started on the sandbox channel `policy` (nothing paid
    yet; `sandbox_deliver` reports what the provider says next)."""
    return payments.payment_start(
        client_account=account,
        policy=policy,
        amount=eur(minor),
        return_url="/r/{id}",
        cancel_url="/c",
        webhook_url="/h",
    )
