from __future__ import annotations

import itertools

from sprechzeit.accounts.models import ClientAccount, Listing, Partner
from sprechzeit.accounts.services import client_register, listing_create, partner_create
from sprechzeit.platforms.models import Platform

PASSWORD = "richtig-geheim-42"
_seq = itertools.count(1)


def client_create(
    *, platform: Platform, email: str | None = None, password: str = PASSWORD
) -> ClientAccount:
    return client_register(
        platform=platform, email=email or f"klient{next(_seq)}@example.com", password=password
    )


def partner_with_listing(
    *, platform: Platform, rate_minor: int = 199, email: str | None = None
) -> tuple[Partner, Listing]:
    n = next(_seq)
    partner = partner_create(
        email=email or f"berater{n}@example.com",
        password=PASSWORD,
        first_name="Bea",
        last_name=f"Rater{n}",
    )
    listing = listing_create(
        partner=partner, platform=platform, display_name=f"Bea {n}", rate_minor=rate_minor
    )
    return partner, listing
