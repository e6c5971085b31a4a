"""Listing edits under review: the old version stays public until approved; rejection
keeps it and tells the partner why; platforms without review save at once."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from sprechzeit.accounts.models import Category
from sprechzeit.accounts.selectors import listing_by_slug
from sprechzeit.accounts.tests.factories import partner_with_listing
from sprechzeit.audit.models import AuditEntry
from sprechzeit.partners import errors, services
from sprechzeit.partners.models import ListingRevision, PartnerSettings
from sprechzeit.partners.tests.factories import staff
from sprechzeit.platforms.models import Platform
from sprechzeit.platforms.tests.factories import platform_create

pytestmark = pytest.mark.django_db


def _photo() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 40), "teal").save(buffer, "PNG")
    return SimpleUploadedFile("me.png", buffer.getvalue(), content_type="image/png")


def _edit(listing: object, **overrides: object) -> ListingRevision | None:
    fields: dict[str, object] = {
        "display_name": "Neuer Name",
        "headline": "Neue Zeile",
        "description": "Neuer Text",
        "rate_minor": 249,
        "categories": [],
        "photo": None,
    }
    fields.update(overrides)
    return services.listing_edit_submit(listing=listing, **fields)  # type: ignore[arg-type]


def _reviewed_platform() -> Platform:
    platform = platform_create()
    PartnerSettings.objects.create(platform=platform, review_listing_edits=True)
    return platform


def test_an_edit_waits_for_review_and_the_old_version_stays_public() -> None:
    platform = _reviewed_platform()
    category = Category.objects.create(platform=platform, name="Tarot", slug="tarot")
    _partner, listing = partner_with_listing(platform=platform)
    old_name = listing.display_name
    revision = _edit(listing, categories=[category], photo=_photo())
    assert revision is not None
    assert revision.status == ListingRevision.Status.PENDING
    assert (revision.photo.name or "").startswith("listings/revisions/")
    public = listing_by_slug(platform, slug=listing.slug)
    assert public is not None
    assert public.display_name == old_name
    assert public.rate_minor == 249  # the price applies at once
    newer = _edit(listing, headline="Noch neuer")
    assert newer is not None
    revision.refresh_from_db()
    assert revision.status == ListingRevision.Status.SUPERSEDED
    assert newer.photo.name == revision.photo.name  # the photo waiting is kept
    services.revision_approve(revision_id=newer.pk, actor=staff())
    listing.refresh_from_db()
    assert (listing.display_name, listing.headline) == ("Neuer Name", "Noch neuer")
    assert listing.photo.name == newer.photo.name
    before = AuditEntry.objects.get(action="listing.revision_approve").before
    assert before is not None
    assert before["display_name"] == old_name


def test_a_rejected_edit_leaves_the_listing_and_needs_a_reason() -> None:
    platform = _reviewed_platform()
    _partner, listing = partner_with_listing(platform=platform)
    revision = _edit(listing)
    assert revision is not None
    actor = staff()
    with pytest.raises(errors.ReasonMissing):
        services.revision_reject(revision_id=revision.pk, actor=actor, reason="")
    services.revision_reject(revision_id=revision.pk, actor=actor, reason="Kontaktdaten im Text")
    listing.refresh_from_db()
    assert listing.display_name != "Neuer Name"
    with pytest.raises(errors.RevisionDecided):
        services.revision_approve(revision_id=revision.pk, actor=actor)
    assert AuditEntry.objects.filter(action__startswith="listing.").count() == 1


def test_without_review_an_edit_is_saved_at_once() -> None:
    platform = platform_create()  # the default: no review
    _partner, listing = partner_with_listing(platform=platform)
    assert _edit(listing) is None
    listing.refresh_from_db()
    assert listing.display_name == "Neuer Name"
    assert not ListingRevision.objects.exists()
