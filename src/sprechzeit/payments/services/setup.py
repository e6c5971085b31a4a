"""Default payment set-up of a platform (for the demo and new platforms): the sandbox
with its TEST MODE checkout and, where the legal entity has an IBAN, bank transfer."""

from __future__ import annotations

from django.db import transaction

from sprechzeit.payments.models import Channel, ChannelPolicy, ProviderConfig, ProviderKind
from sprechzeit.platforms.models import Platform


@transaction.atomic
def platform_payments_default(*, platform: Platform) -> list[ChannelPolicy]:
    """Idempotent: creates what is missing, changes nothing that exists."""
    sandbox, _ = ProviderConfig.objects.get_or_create(
        platform=platform, kind=ProviderKind.SANDBOX, defaults={"name": "Testkasse"}
    )
    policies = [
        ChannelPolicy.objects.get_or_create(
            platform=platform,
            provider_config=sandbox,
            channel=Channel.SANDBOX,
            defaults={
                "label": "Testkasse (TESTMODUS)",
                "min_minor": 500,
                "max_minor": 50000,
                "presets": [1000, 2500, 5000, 10000],
                "fee_fixed_minor": 25,
                "fee_percent": "1.40",
            },
        )[0]
    ]
    if platform.legal_entity.iban:
        bank, _ = ProviderConfig.objects.get_or_create(
            platform=platform, kind=ProviderKind.BANK_TRANSFER, defaults={"name": "Bankkonto"}
        )
        policies.append(
            ChannelPolicy.objects.get_or_create(
                platform=platform,
                provider_config=bank,
                channel=Channel.BANK_TRANSFER,
                defaults={
                    "label": "Banküberweisung",
                    "min_minor": 100,
                    "max_minor": 1000000,
                    "slow": True,
                },
            )[0]
        )
    return policies
