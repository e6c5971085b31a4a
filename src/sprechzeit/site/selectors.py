"""Reads composed for the public pages: the directory with its filters, a profile's
ratings. Tenant-owned reads take the platform first."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, TypedDict

from django.db.models import Avg, Count, F, QuerySet

from sprechzeit.accounts.models import Listing
from sprechzeit.accounts.selectors import listings_published
from sprechzeit.consultations.models import Rating
from sprechzeit.consultations.selectors import (
    Availability,
    listings_availability,
    ratings_visible,
    visible_ratings_q,
)
from sprechzeit.platforms.models import Platform

SORTS: Final = ("rating", "price_asc", "price_desc", "newest")
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


def listings_directory(platform: Platform, flt: DirectoryFilter) -> list[DirectoryEntry]:
    """Published listings of `platform`, filtered and sorted; available partners first.

    Availability comes from one query per page (consultations.selectors), not per row.
    """
    listings = _annotated(platform)
    if flt.category:
        listings = listings.filter(categories__slug=flt.category)
    if flt.price_min_minor is not None:
        listings = listings.filter(rate_minor__gte=flt.price_min_minor)
    if flt.price_max_minor is not None:
        listings = listings.filter(rate_minor__lte=flt.price_max_minor)
    orders: dict[str, list[Any]] = {
        "rating": [F("rating_avg").desc(nulls_last=True), "display_name"],
        "price_asc": ["rate_minor", "display_name"],
        "price_desc": ["-rate_minor", "display_name"],
        "newest": ["-created_at"],
    }
    order = orders[flt.sort if flt.sort in SORTS else "rating"]
    rows = list(listings.order_by(*order).distinct())
    status = listings_availability(platform, listing_ids=[row.pk for row in rows])
    entries = [_entry(row, status.get(row.pk, Availability.OFFLINE)) for row in rows]
    if flt.online_only:
        entries = [e for e in entries if e.status != Availability.OFFLINE]
    # Stable sort: the chosen order stays within each availability group.
    entries.sort(key=lambda e: _STATUS_RANK.get(e.status, 2))
    return entries


def listing_entry(platform: Platform, *, slug: str) -> DirectoryEntry | None:
    row = _annotated(platform).filter(slug=slug).first()
    if row is None:
        return None
    status = listings_availability(platform, listing_ids=[row.pk]).get(row.pk, Availability.OFFLINE)
    return _entry(row, status)


def listing_reviews(listing: Listing, *, limit: int = 10) -> QuerySet[Rating]:
    return ratings_visible(listing=listing)[:limit]
