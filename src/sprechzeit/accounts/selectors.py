"""Reads of people and listings. Tenant-owned reads take the platform first."""

from __future__ import annotations

from django.db.models import QuerySet

from sprechzeit.accounts.models import Category, Listing
from sprechzeit.platforms.models import Platform


def listings_published(platform: Platform) -> QuerySet[Listing]:
    return (
        Listing.objects.filter(
            platform=platform,
            is_published=True,
            partner__user__is_active=True,
            partner__suspended_at__isnull=True,  # a suspended partner's listings are hidden
        )
        .select_related("partner__user", "platform")  # a card's price needs the currency
        .prefetch_related("categories")
        .order_by("display_name")
    )


def listing_by_slug(platform: Platform, *, slug: str) -> Listing | None:
    return listings_published(platform).filter(slug=slug).first()


def categories_of(platform: Platform) -> QuerySet[Category]:
    return Category.objects.filter(platform=platform).order_by("name")
