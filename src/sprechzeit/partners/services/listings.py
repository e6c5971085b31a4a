"""Listing edits under review: where the platform wants it (`PartnerSettings.
review_listing_edits`) a partner's new text, categories and photo wait as a
`ListingRevision` while the listing keeps showing the old version; staff approve (the
revision goes live) or reject with a reason (the partner is told)."""

from __future__ import annotations

from django.core.files.base import File
from django.db import transaction
from django.urls import reverse

from sprechzeit.accounts.models import Category, Listing, User
from sprechzeit.accounts.services import listing_update, listing_update_rate
from sprechzeit.audit.services import audit_record
from sprechzeit.core import clock
from sprechzeit.notifications.rendering import platform_link
from sprechzeit.notifications.services import mail_send
from sprechzeit.partners import errors
from sprechzeit.partners.models import ListingRevision
from sprechzeit.partners.services.common import clean_text, settings_of, snapshot

SHOWN = ("display_name", "headline", "description")


def listing_edit_submit(
    *,
    listing: Listing,
    display_name: str,
    headline: str,
    description: str,
    rate_minor: int,
    categories: list[Category],
    photo: File[bytes] | None = None,
) -> ListingRevision | None:
    """A partner's edit. Without review: saved at once (None). With review: the price
    applies at once, text, categories and photo wait as the returned revision (a newer
    one replaces a pending one)."""
    if not settings_of(listing.platform).review_listing_edits:
        listing_update(
            listing=listing,
            display_name=display_name,
            headline=headline,
            description=description,
            rate_minor=rate_minor,
            categories=categories,
            photo=photo,
        )
        return None
    with transaction.atomic():
        listing_update_rate(listing=listing, rate_minor=rate_minor)
        pending = ListingRevision.objects.select_for_update().filter(
            listing=listing, status=ListingRevision.Status.PENDING
        )
        kind, kept_photo = ListingRevision.Kind.EDIT, ""
        for old in pending:
            kind = ListingRevision.Kind(old.kind)  # a new profile stays a new profile
            kept_photo = old.photo.name or kept_photo
        pending.update(status=ListingRevision.Status.SUPERSEDED)
        revision = ListingRevision(
            listing=listing,
            kind=kind,
            display_name=clean_text(display_name, limit=100),
            headline=clean_text(headline, limit=200),
            description=clean_text(description, limit=5000),
            submitted_at=clock.now(),
        )
        if photo is not None:  # re-encoded under a random name, or ImageRefused
            revision.photo.save("", photo, save=False)
        elif kept_photo:
            revision.photo.name = kept_photo
        revision.save()
        revision.categories.set([c for c in categories if c.platform_id == listing.platform_id])
    return revision


def _pending(revision_id: int) -> ListingRevision:
    revision = (
        ListingRevision.objects.select_for_update(of=("self",))
        .select_related("listing__platform", "listing__partner__user")
        .get(pk=revision_id)
    )
    if revision.status != ListingRevision.Status.PENDING:
        raise errors.RevisionDecided()
    return revision


@transaction.atomic
def revision_approve(*, revision_id: int, actor: User, ip: str | None = None) -> ListingRevision:
    """The revision goes live; a new partner's first listing is published."""
    revision = _pending(revision_id)
    listing = Listing.objects.select_for_update().get(pk=revision.listing_id)
    before = {**snapshot(listing, *SHOWN), "is_published": listing.is_published}
    for name in SHOWN:
        setattr(listing, name, getattr(revision, name))
    if revision.photo:
        listing.photo.name = revision.photo.name
    if revision.kind == ListingRevision.Kind.INITIAL:
        listing.is_published = True
    listing.save()
    listing.categories.set(revision.categories.all())
    revision.status = ListingRevision.Status.APPROVED
    revision.decided_at = clock.now()
    revision.decided_by = actor
    revision.save()
    audit_record(
        actor=actor,
        action="listing.revision_approve",
        target=listing,
        platform=listing.platform,
        before=before,
        after={
            **snapshot(listing, *SHOWN),
            "is_published": listing.is_published,
            "revision": revision.pk,
        },
        ip=ip,
    )
    mail_send(
        platform=listing.platform,
        to=listing.partner.user,
        template="listing_reviewed",
        context={
            "approved": True,
            "listing": listing.display_name,
            "link": platform_link(
                listing.platform, reverse("site:listing", kwargs={"slug": listing.slug})
            ),
        },
        key=f"listing_reviewed:{revision.pk}",
    )
    return revision


@transaction.atomic
def revision_reject(
    *, revision_id: int, actor: User, reason: str, ip: str | None = None
) -> ListingRevision:
    """The listing keeps what it shows; the partner gets the reason by mail."""
    reason = clean_text(reason, limit=2000)
    if not reason:
        raise errors.ReasonMissing()
    revision = _pending(revision_id)
    revision.status = ListingRevision.Status.REJECTED
    revision.decided_at = clock.now()
    revision.decided_by = actor
    revision.reason = reason
    revision.save()
    listing = revision.listing
    audit_record(
        actor=actor,
        action="listing.revision_reject",
        target=listing,
        platform=listing.platform,
        before={"revision": revision.pk, "status": ListingRevision.Status.PENDING},
        after={"revision": revision.pk, "status": revision.status},
        reason=reason,
        ip=ip,
    )
    mail_send(
        platform=listing.platform,
        to=listing.partner.user,
        template="listing_reviewed",
        context={"approved": False, "listing": listing.display_name, "reason": reason},
        key=f"listing_reviewed:{revision.pk}",
    )
    return revision
