from __future__ import annotations

import itertools
from decimal import Decimal
from typing import Any

from sprechzeit.platforms.models import LegalEntity, Platform, PlatformDomain

_seq = itertools.count(1)


def legal_entity_create(**overrides: Any) -> LegalEntity:
    n = next(_seq)
    fields: dict[str, Any] = {
        "name": f"Betreiber {n} GmbH",
        "street": "Teststraße 1",
        "postal_code": "10115",
        "city": "Berlin",
        "vat_id": "DE123456789",
        "tax_number": "30/123/45678",
        "register_entry": "AG Berlin HRB 1",
        "email": f"betreiber{n}@example.com",
    }
    fields.update(overrides)
    return LegalEntity.objects.create(**fields)


def platform_create(
    *, slug: str | None = None, hosts: tuple[str, ...] = (), **overrides: Any
) -> Platform:
    n = next(_seq)
    slug = slug or f"plattform{n}"
    fields: dict[str, Any] = {
        "name": f"Plattform {n}",
        "slug": slug,
        "contact_email": f"kontakt@{slug}.example.com",
        "rate_min_minor": 99,
        "rate_max_minor": 499,
        "vat_rate": Decimal("19.00"),
    }
    fields.update(overrides)
    if "legal_entity" not in fields:
        fields["legal_entity"] = legal_entity_create()
    platform = Platform.objects.create(**fields)
    for i, host in enumerate(hosts):
        PlatformDomain.objects.create(platform=platform, host=host, is_primary=i == 0)
    return platform
