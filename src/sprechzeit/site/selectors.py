"""Reads composed for the public pages: the directory with its filters, a profile's
ratings. Tenant-owned reads take the platform first."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, TypedDict

from django.core.paginator import Page, Paginator
from django.db.models import Avg, Count, QuerySet

from sprechzeit.accounts.models import Listing
from sprechzeit.accounts.selectors import listings_published
from sprechzeit.consultations.models import Rating
from sprechzeit.consultations.selectors import (
    Availability,
    listings_availability,
    listings_rating_summary,
    platform_availability,
    ratings_visible,
    visible_ratings_q,
)
from sprechzeit.platforms.models import Platform

SORTS: Final = ("rating", "price_asc", "price_desc", "newest")
# Cards per directory page: a page renders and subscribes to the status of these only.
DIRECTORY_PAGE: Final = 24
_STATUS_RANK: Final = {Availability.ONLINE: 0, Availability.BUSY: 1, Availability.OFFLINE: 2}


@dataclass(frozen=True, slots=True)
class DirectoryFilter:
    category: str = ""
    online_only: bool = False
    price_min_minor: int | None = None
    price_max_minor: int | None = None
    sort: str = "rating"


@dataclass(frozen=True, slots=True)
class DirectoryEntry:
    listing: Listing
    status: str
    rating_avg: float | None
    rating_count: int

    @property
    def rating_stars(self) -> int:
        return round(self.rating_avg or 0)


class _Ratings(TypedDict):
    rating_avg: float | None
    rating_count: int


if TYPE_CHECKING:  # the alias does not subscript at run time
    from django_stubs_ext import WithAnnotations

    RatedListing = WithAnnotations[Listing, _Ratings]


def _annotated(platform: Platform) -> QuerySet[RatedListing]:
    # Hidden ratings count nowhere: the same rule as the listing page's reviews.
    visible = visible_ratings_q("ratings__")
    return listings_published(platform).annotate(
        rating_avg=Avg("ratings__stars", filter=visible),
        rating_count=Count("ratings", filter=visible, distinct=True),
    )


def _entry(row: RatedListing, status: str) -> DirectoryEntry:
    return DirectoryEntry(
        listing=row,
        status=status,
        rating_avg=float(row.rating_avg) if row.rating_avg is not None else None,
        rating_count=row.rating_count,
    )


@dataclass(frozen=True, slots=True)
class _Ranked:
    """A listing's place in the directory, before its row is loaded."""

    pk: int
    status: str
    rating_avg: float | None
    rating_count: int


def _ranked(platform: Platform, flt: DirectoryFilter) -> list[_Ranked]:
    """Every published listing of `platform` the filter lets through, in the directory's
    order: available partners first, the chosen order within each availability group.

    Values only (id, partner): with thousands of listings the rows themselves are loaded
    for the one page shown, not for all of them. The ratings come from the platform's
    cached summary (consultations.selectors: one query when a rating changed, not an
    aggregate over every rating on every request); availability from two queries per
    platform, not per row.
    """
    listings = listings_published(platform).select_related(None).prefetch_related(None)
    if flt.category:
        listings = listings.filter(categories__slug=flt.category)
    if flt.price_min_minor is not None:
        listings = listings.filter(rate_minor__gte=flt.price_min_minor)
    if flt.price_max_minor is not None:
        listings = listings.filter(rate_minor__lte=flt.price_max_minor)
    sort = flt.sort if flt.sort in SORTS else "rating"
    orders: dict[str, list[Any]] = {
        "rating": ["display_name"],  # then by the average below (a stable sort)
        "price_asc": ["rate_minor", "display_name"],
        "price_desc": ["-rate_minor", "display_name"],
        "newest": ["-created_at"],
    }
    rows = listings.order_by(*orders[sort], "pk").distinct().values_list("pk", "partner_id")
    ratings = listings_rating_summary(platform)
    status = platform_availability(platform)
    ranked = [
        _Ranked(
            pk=pk,
            status=status.get(partner_id, Availability.OFFLINE),
            rating_avg=ratings[pk][0] if pk in ratings else None,
            rating_count=ratings[pk][1] if pk in ratings else 0,
        )
        for pk, partner_id in rows
    ]
    if sort == "rating":  # best average first, unrated last; by name within the same
        ranked.sort(key=lambda r: (r.rating_avg is None, -(r.rating_avg or 0.0)))
    if flt.online_only:
        ranked = [r for r in ranked if r.status != Availability.OFFLINE]
    # Stable sort: the chosen order stays within each availability group.
    ranked.sort(key=lambda r: _STATUS_RANK.get(r.status, 2))
    return ranked


def _entries(ranked: Sequence[_Ranked]) -> list[DirectoryEntry]:
    """The directory entries of `ranked`, their listings loaded in one query."""
    rows = Listing.objects.select_related("partner__user", "platform").in_bulk(
        [r.pk for r in ranked]
    )
    return [
        DirectoryEntry(
            listing=rows[r.pk],
            status=r.status,
            rating_avg=r.rating_avg,
            rating_count=r.rating_count,
        )
        for r in ranked
    ]


def listings_directory(platform: Platform, flt: DirectoryFilter) -> list[DirectoryEntry]:
    """Published listings of `platform`, filtered and sorted; available partners first."""
    return _entries(_ranked(platform, flt))


@dataclass(frozen=True, slots=True)
class DirectoryPage:
    """One page of the directory: its entries and Django's page (number, neighbours,
    `paginator.count` listings in all)."""

    entries: list[DirectoryEntry]
    page: Page[_Ranked]

    @property
    def total(self) -> int:
        return self.page.paginator.count


def listings_directory_page(
    platform: Platform,
    flt: DirectoryFilter,
    *,
    number: int | str | None = 1,
    size: int = DIRECTORY_PAGE,
) -> DirectoryPage:
    """Page `number` of the directory (`listings_directory`'s order); a number that is
    not one is the first page, one past the end the last (Django's `get_page`)."""
    page = Paginator(_ranked(platform, flt), size).get_page(number)
    return DirectoryPage(entries=_entries(list(page.object_list)), page=page)


def listing_entry(platform: Platform, *, slug: str) -> DirectoryEntry | None:
    row = _annotated(platform).filter(slug=slug).first()
    if row is None:
        return None
    status = listings_availability(platform, listing_ids=[row.pk]).get(row.pk, Availability.OFFLINE)
    return _entry(row, status)


def listing_reviews(listing: Listing, *, limit: int = 10) -> QuerySet[Rating]:
    return ratings_visible(listing=listing)[:limit]
