"""Pinned query counts of the four pages the pages benchmark measures (bench/web.py,
docs/performance.md "Pages"): the directory, a partner's profile, a client's records and
the partner dashboard.

Each page is rendered for a world with a few consultations, listings and ratings, and
again after that world grew tenfold: the number of queries must be the pinned one both
times. A query per card, per row, per rating or per day of the chart (an N+1) fails
here; a change that saves queries updates the numbers on purpose. Counted in a warm
state (the page was rendered once before), as a running server renders it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.test import Client

from sprechzeit.accounts.models import ClientAccount, Listing, Partner
from sprechzeit.accounts.tests.factories import client_create, login_verified, partner_with_listing
from sprechzeit.consultations.models import Consultation, PartnerPresence, VoiceConfig
from sprechzeit.consultations.services import (
    consultation_accept,
    consultation_end,
    consultation_request,
    presence_set,
    rating_create,
)
from sprechzeit.consultations.tests.factories import top_up
from sprechzeit.core import clock
from sprechzeit.ledger.tests.helpers import assert_ledger_sound
from sprechzeit.platforms.models import Platform
from sprechzeit.platforms.tests.factories import platform_create

pytestmark = pytest.mark.django_db

HOST = "seiten.example"
# Mid-month, mid-day: today's and this month's earnings hold the consultations.
NOW = datetime(2026, 3, 17, 14, 0, tzinfo=UTC)

# Queries per page, the same on SQLite and PostgreSQL.
QUERIES: dict[str, int] = {"directory": 6, "profile": 8, "records": 7, "dashboard": 11}


@dataclass
class World:
    """One platform: the measured partner (whose profile and dashboard are counted) and
    the measured client (whose records are), other partners, a history between them."""

    platform: Platform
    partner: Partner
    listing: Listing
    client: ClientAccount
    others: list[tuple[Partner, Listing]] = field(default_factory=list)
    consultations: int = 0


def world_create() -> World:
    platform = platform_create(hosts=(HOST,))
    VoiceConfig.objects.create(platform=platform, phone_number="+49 30 5550101", auth_token="t")
    partner, listing = partner_with_listing(platform=platform, rate_minor=199)
    listing.extension = "101"
    listing.save(update_fields=["extension"])
    presence_set(partner=partner, status=PartnerPresence.Status.ONLINE, now=NOW)
    client = client_create(platform=platform)
    top_up(client=client, minor=100_000)
    return World(platform=platform, partner=partner, listing=listing, client=client)


def world_grow(world: World, *, partners: int, consultations: int) -> None:
    """`partners` more partners (online), then `consultations` more settled and rated
    consultations of the client, every second one with the measured partner, all today."""
    for _ in range(partners):
        partner, listing = partner_with_listing(platform=world.platform, rate_minor=249)
        presence_set(partner=partner, status=PartnerPresence.Status.ONLINE, now=NOW)
        world.others.append((partner, listing))
    for _ in range(consultations):
        n = world.consultations
        partner, listing = (
            (world.partner, world.listing)
            if n % 2 == 0
            else world.others[(n // 2) % len(world.others)]
        )
        start = NOW - timedelta(hours=6) + timedelta(minutes=10 * n)
        consultation = consultation_request(client=world.client, listing=listing, now=start)
        consultation = consultation_accept(consultation=consultation, partner=partner, now=start)
        consultation = consultation_end(
            consultation=consultation,
            reason=Consultation.EndReason.CLIENT,
            at_second=240 + n,
            now=start + timedelta(seconds=240 + n),
        )
        rating_create(
            consultation=consultation,
            client=world.client,
            stars=5 - n % 3,
            text="Hat mir geholfen.",
            now=start + timedelta(minutes=6),
        )
        world.consultations += 1


def browser_for(world: World, page: str) -> tuple[Client, str]:
    """Who requests `page`, and its path: the directory and the profile anonymously."""
    browser = Client(HTTP_HOST=HOST)
    if page == "records":
        browser.force_login(world.client.user)
    elif page == "dashboard":
        login_verified(browser, world.partner.user)
    paths = {
        "directory": "/berater/",
        "profile": f"/berater/{world.listing.slug}/",
        "records": "/beratungen/",
        "dashboard": "/partner/",
    }
    return browser, paths[page]


def render(browser: Client, path: str, expected: int, assert_num_queries: Any) -> str:
    warm = browser.get(path)
    assert warm.status_code == 200
    with assert_num_queries(expected):
        response = browser.get(path)
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize("page", list(QUERIES))
def test_page_queries_are_pinned_and_do_not_grow_with_the_data(
    page: str, django_assert_num_queries: Any
) -> None:
    expected = QUERIES[page]
    with clock.frozen_at(NOW):
        world = world_create()
        world_grow(world, partners=2, consultations=3)
        browser, path = browser_for(world, page)
        small = render(browser, path, expected, django_assert_num_queries)
        world_grow(world, partners=10, consultations=27)
        large = render(browser, path, expected, django_assert_num_queries)
    # The pages did show the grown world (the same count for more rows, not for none).
    assert shown(page, small) == SHOWN[page][0]
    assert shown(page, large) == SHOWN[page][1]
    assert_ledger_sound()


# What each page shows of the small and of the grown world: listings in the directory,
# the profile's visible ratings, the client's records, the partner's consultations today.
SHOWN: dict[str, tuple[int, int]] = {
    "directory": (3, 13),
    "profile": (2, 15),
    "records": (3, 30),
    "dashboard": (2, 15),
}


def shown(page: str, html: str) -> int:
    if page == "directory":
        return html.count('class="card listing"')
    if page == "profile":  # the count beside the average stars
        rated = re.search(r" \((\d+)\)</span>", html)
        assert rated is not None, html
        return int(rated.group(1))
    if page == "records":
        return html.count('class="record-medium"')
    match = re.search(r"</td>\s*<td>(\d+)</td>\s*<td>\d+</td>\s*</tr>", html)
    assert match is not None, html
    return int(match.group(1))
