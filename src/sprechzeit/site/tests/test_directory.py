"""The directory as a client uses it: filters, sorting, live status, ratings."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from sprechzeit.accounts.models import Category
from sprechzeit.accounts.tests.factories import client_create, partner_with_listing
from sprechzeit.consultations.models import PartnerPresence
from sprechzeit.consultations.services import (
    consultation_accept,
    consultation_end,
    consultation_request,
    presence_set,
    rating_create,
)
from sprechzeit.consultations.tests.factories import top_up
from sprechzeit.ledger.tests.helpers import assert_ledger_sound
from sprechzeit.platforms.models import Platform
from sprechzeit.platforms.tests.factories import platform_create
from sprechzeit.site.selectors import DirectoryEntry, DirectoryFilter, listings_directory

pytestmark = pytest.mark.django_db
A = {"host": "a.localhost"}


def _rate(platform: Platform, listing_slug: str, stars: int) -> None:
    """A real consultation of 4 paid minutes, settled, then rated."""
    from sprechzeit.accounts.models import Listing  # noqa: PLC0415

    listing = Listing.objects.get(platform=platform, slug=listing_slug)
    client = client_create(platform=platform)
    top_up(client=client, minor=5_000)
    presence_set(partner=listing.partner, status=PartnerPresence.Status.ONLINE)
    start = timezone.now()
    consultation = consultation_request(client=client, listing=listing, now=start)
    consultation = consultation_accept(
        consultation=consultation, partner=listing.partner, now=start
    )
    consultation = consultation_end(
        consultation=consultation, reason="client", now=start + timedelta(seconds=240)
    )
    rating_create(
        consultation=consultation, client=client, stars=stars, now=start + timedelta(seconds=300)
    )


@pytest.fixture
def platform() -> Platform:
    platform = platform_create(slug="a", rate_min_minor=99, rate_max_minor=999)
    tarot = Category.objects.create(platform=platform, name="Tarot", slug="tarot")
    _p1, cheap = partner_with_listing(platform=platform, rate_minor=150)
    _p2, _mid = partner_with_listing(platform=platform, rate_minor=250)
    _p3, dear = partner_with_listing(platform=platform, rate_minor=450)
    cheap.categories.add(tarot)
    dear.categories.add(tarot)
    return platform


def _names(entries: list[DirectoryEntry]) -> list[int]:
    return [e.listing.rate_minor for e in entries]


def test_filters_by_category_and_price(platform: Platform) -> None:
    assert _names(
        listings_directory(platform, DirectoryFilter(category="tarot", sort="price_asc"))
    ) == [150, 450]
    assert _names(
        listings_directory(platform, DirectoryFilter(price_min_minor=200, price_max_minor=300))
    ) == [250]


def test_sorts_by_price_and_puts_available_partners_first(platform: Platform) -> None:
    assert _names(listings_directory(platform, DirectoryFilter(sort="price_desc"))) == [
        450,
        250,
        150,
    ]
    entries = listings_directory(platform, DirectoryFilter(sort="price_desc"))
    presence_set(partner=entries[2].listing.partner, status=PartnerPresence.Status.ONLINE)
    entries = listings_directory(platform, DirectoryFilter(sort="price_desc"))
    assert [e.status for e in entries] == ["online", "offline", "offline"]
    assert _names(entries) == [150, 450, 250]
    online = listings_directory(platform, DirectoryFilter(online_only=True))
    assert _names(online) == [150]


def test_sorts_by_rating_from_real_consultations(platform: Platform) -> None:
    entries = listings_directory(platform, DirectoryFilter(sort="price_asc"))
    cheap, mid = entries[0].listing, entries[1].listing
    _rate(platform, mid.slug, 5)
    _rate(platform, cheap.slug, 3)
    _rate(platform, cheap.slug, 4)
    for entry in listings_directory(platform, DirectoryFilter()):
        presence_set(partner=entry.listing.partner, status=PartnerPresence.Status.OFFLINE)
    ranked = listings_directory(platform, DirectoryFilter(sort="rating"))
    assert [e.listing.pk for e in ranked][:2] == [mid.pk, cheap.pk]
    assert ranked[1].rating_avg == pytest.approx(3.5)
    assert ranked[1].rating_count == 2
    assert ranked[2].rating_count == 0
    assert_ledger_sound()


def test_directory_page_and_htmx_fragment(platform: Platform) -> None:
    browser = Client()
    page = browser.get("/berater/?kategorie=tarot&preis_von=2&sortierung=price_asc", headers=A)
    body = page.content.decode()
    assert page.status_code == 200
    assert "1 Berater gefunden" in body
    assert "4,50\xa0€ pro Minute" in body
    fragment = browser.get(
        "/berater/?preis_bis=4,5", headers={**A, "HX-Request": "true"}
    ).content.decode()
    assert "<html" not in fragment  # only the results, for htmx to swap in
    assert "3 Berater gefunden" in fragment
    junk = browser.get("/berater/?preis_bis=abc", headers={**A, "HX-Request": "true"})
    assert junk.status_code == 400  # not a crash, and not silently ignored
    assert "Bitte einen Preis wie 2,50 eingeben." in junk.content.decode()


def test_profile_shows_status_price_and_reviews(platform: Platform) -> None:
    listing = listings_directory(platform, DirectoryFilter(sort="price_asc"))[0].listing
    _rate(platform, listing.slug, 4)
    body = Client().get(f"/berater/{listing.slug}/", headers=A).content.decode()
    assert "1,50\xa0€ pro Minute" in body
    assert "★★★★☆" in body
    status = Client().get(f"/berater/{listing.slug}/status/", headers=A).content.decode()
    assert "online" in status  # the partner went online for the rated consultation
    assert Client().get("/berater/gibt-es-nicht/", headers=A).status_code == 404


def test_directory_pages_keep_the_filters_and_the_order(platform: Platform) -> None:
    """With more listings than a page holds: 24 cards a page, available partners first on
    page one, the filters carried over to the other pages, no error for a wrong number."""
    for _ in range(27):  # 30 listings in all, 2 of them in category "tarot" above
        partner_with_listing(platform=platform, rate_minor=199)
    late = partner_with_listing(platform=platform, rate_minor=499)[0]
    presence_set(partner=late, status=PartnerPresence.Status.ONLINE)
    browser = Client()
    first = browser.get("/berater/?sortierung=price_asc", headers=A).content.decode()
    assert "31 Berater gefunden" in first
    assert first.count('class="card listing"') == 24
    assert first.index("4,99\xa0€ pro Minute") < first.index("1,50\xa0€ pro Minute")  # online
    assert "Seite 1 von 2" in first
    assert 'href="?sortierung=price_asc&amp;seite=2"' in first
    second = browser.get("/berater/?sortierung=price_asc&seite=2", headers=A).content.decode()
    assert second.count('class="card listing"') == 7
    assert 'href="?sortierung=price_asc&amp;seite=1"' in second
    assert "Seite 2 von 2" in second
    # Django's get_page: not a number → the first page, out of range → the last.
    for wrong, shown in (("x", 1), ("", 1), ("0", 2), ("-1", 2), ("9" * 50, 2)):
        page = browser.get(f"/berater/?seite={wrong}", headers=A)
        assert page.status_code == 200
        assert f"Seite {shown} von 2" in page.content.decode()
    filtered = browser.get("/berater/?kategorie=tarot", headers=A).content.decode()
    assert "2 Berater gefunden" in filtered
    assert "Seite 1 von" not in filtered  # one page: no pager
