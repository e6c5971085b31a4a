"""Factories for consultation tests: a platform with a tariff policy, an online partner,
a funded client, and a ledger soundness assertion."""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass
from typing import Any

from sprechzeit.accounts.models import ClientAccount, Listing, Partner
from sprechzeit.accounts.tests.factories import client_create, partner_with_listing
from sprechzeit.consultations import billing
from sprechzeit.consultations.models import PartnerPresence, PlatformTariffPolicy
from sprechzeit.consultations.services import presence_set
from sprechzeit.core.money import Money
from sprechzeit.ledger.models import AccountPurpose
from sprechzeit.platforms.models import Platform
from sprechzeit.platforms.tests.factories import platform_create
from sprechzeit.wallets import services as wallets

_seq = itertools.count(1)


@dataclass(frozen=True)
class Scene:
    platform: Platform
    partner: Partner
    listing: Listing
    client: ClientAccount


def policy_create(*, platform: Platform, **fields: Any) -> PlatformTariffPolicy:
    return PlatformTariffPolicy.objects.create(platform=platform, **fields)


def top_up(*, client: ClientAccount, minor: int) -> None:
    """Credit the client's wallet as a confirmed payment would."""
    wallets.wallet_credit(
        client_account=client,
        amount=Money(minor, client.platform.currency),
        source=wallets.platform_account(
            platform=client.platform, purpose=AccountPurpose.PROVIDER_CLEARING
        ),
        id=uuid.uuid4(),
        reference="test:top-up",
    )


def scene(
    *,
    balance_minor: int = 500,
    rate_minor: int = 200,
    online: bool = True,
    platform: Platform | None = None,
    **policy: Any,
) -> Scene:
    platform = platform or platform_create(rate_min_minor=99, rate_max_minor=999)
    if policy:
        PlatformTariffPolicy.objects.update_or_create(platform=platform, defaults=policy)
    partner, listing = partner_with_listing(platform=platform, rate_minor=rate_minor)
    partner.phone_number = f"+4930{next(_seq):07d}"
    partner.save(update_fields=["phone_number"])
    client = client_create(platform=platform)
    if balance_minor:
        top_up(client=client, minor=balance_minor)
    presence_set(
        partner=partner,
        status=PartnerPresence.Status.ONLINE if online else PartnerPresence.Status.OFFLINE,
    )
    return Scene(platform=platform, partner=partner, listing=listing, client=client)


def wallet_available(client: ClientAccount) -> int:
    return billing.client_available(client=client, currency=client.platform.currency).minor
