"""Applications: a visitor applies on a platform's "Berater werden" page; staff accept
(the partner login, an unpublished listing and an invitation mail) or reject (a polite
mail). Each staff decision writes one audit entry in its transaction."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Final

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.urls import reverse

from sprechzeit.accounts.errors import EmailTaken
from sprechzeit.accounts.models import Category, User
from sprechzeit.accounts.services import listing_create, partner_create
from sprechzeit.audit.services import audit_record
from sprechzeit.core import clock
from sprechzeit.core.net import address_hash
from sprechzeit.core.throttle import Bucket, Throttled, throttle_take
from sprechzeit.notifications.rendering import platform_link
from sprechzeit.notifications.services import mail_send
from sprechzeit.partners import errors
from sprechzeit.partners.models import (
    ABOUT_MAX,
    NAME_MAX,
    SAMPLE_MAX,
    PartnerApplication,
    PartnerInvitation,
)
from sprechzeit.partners.services.common import clean_text, token_digest
from sprechzeit.platforms.models import Platform

INVITATION_VALID_FOR: Final = timedelta(days=7)
MIN_TEXT: Final = 40


@transaction.atomic
def application_submit(
    *,
    platform: Platform,
    first_name: str,
    last_name: str,
    email: str,
    display_name: str,
    about: str,
    sample_text: str,
    categories: list[Category],
    phone_number: str = "",
    language: str = "de",
    ip: str = "",
) -> PartnerApplication:
    """Store an application and send the applicant a receipt (without their texts: the
    form must not relay content to an address someone else typed in). At most as many
    per address and platform as the contact form's throttle allows."""
    try:
        throttle_take(buckets=[Bucket("contact_address", f"apply:{platform.pk}:{ip}")])
    except Throttled as exc:
        raise errors.ApplicationRateLimited() from exc
    values = {
        "first_name": clean_text(first_name, limit=NAME_MAX),
        "last_name": clean_text(last_name, limit=NAME_MAX),
        "display_name": clean_text(display_name, limit=NAME_MAX),
        "about": clean_text(about, limit=ABOUT_MAX),
        "sample_text": clean_text(sample_text, limit=SAMPLE_MAX),
    }
    email = email.strip().lower()
    try:
        validate_email(email)
    except ValidationError as exc:
        raise errors.ApplicationInvalid(field="email") from exc
    if not all(values.values()) or min(len(values["about"]), len(values["sample_text"])) < MIN_TEXT:
        raise errors.ApplicationInvalid()
    application = PartnerApplication.objects.create(
        platform=platform,
        email=email,
        phone_number=clean_text(phone_number, limit=32),
        language=language if language in ("de", "en") else "de",
        ip_hash=address_hash(ip) if ip else "",
        submitted_at=clock.now(),
        **values,
    )
    application.categories.set([c for c in categories if c.platform_id == platform.pk])
    mail_send(
        platform=platform,
        to=application.email,
        template="partner_application_received",
        context={"first_name": application.first_name},
        language=application.language,
        key=f"partner_application_received:{application.pk}",
    )
    return application


def _decidable(application_id: int) -> PartnerApplication:
    application = (
        PartnerApplication.objects.select_for_update(of=("self",))
        .select_related("platform")
        .get(pk=application_id)
    )
    if application.status != PartnerApplication.Status.NEW:
        raise errors.ApplicationDecided()
    return application


def invitation_issue(*, application: PartnerApplication) -> str:
    """A fresh invitation token (stored hashed); earlier unused ones stop working."""
    now = clock.now()
    PartnerInvitation.objects.filter(application=application, used_at__isnull=True).delete()
    token = secrets.token_urlsafe(32)
    PartnerInvitation.objects.create(
        application=application,
        token_sha256=token_digest(token),
        created_at=now,
        expires_at=now + INVITATION_VALID_FOR,
    )
    return token


@transaction.atomic
def application_accept(
    *, application_id: int, actor: User, rate_minor: int, ip: str | None = None
) -> PartnerApplication:
    """Accept: a partner login without a password, an unpublished listing at
    `rate_minor` (within the platform's limits) and the invitation mail with a one-time
    link to set the password and enrol the authenticator."""
    application = _decidable(application_id)
    try:
        partner = partner_create(
            email=application.email,
            password=None,
            first_name=application.first_name,
            last_name=application.last_name,
            phone_number=application.phone_number,
        )
    except EmailTaken as exc:
        raise errors.PartnerEmailTaken() from exc
    partner.user.language = application.language
    partner.user.save(update_fields=["language"])
    listing = listing_create(
        partner=partner,
        platform=application.platform,
        display_name=application.display_name,
        rate_minor=rate_minor,
        description=application.about,
        categories=list(application.categories.all()),
    )
    listing.is_published = False  # live once staff approve the finished profile
    listing.save(update_fields=["is_published"])
    application.status = PartnerApplication.Status.ACCEPTED
    application.decided_at = clock.now()
    application.decided_by = actor
    application.partner = partner
    application.listing = listing
    application.save()
    token = invitation_issue(application=application)
    link = platform_link(
        application.platform, reverse("site:partner_invitation", kwargs={"token": token})
    )
    mail_send(
        platform=application.platform,
        to=partner.user,
        template="partner_invitation",
        context={"first_name": application.first_name, "link": link},
        key=f"partner_invitation:{application.pk}:{token_digest(token)[:16]}",
    )
    audit_record(
        actor=actor,
        action="partner.application_accept",
        target=application,
        platform=application.platform,
        before={"status": PartnerApplication.Status.NEW},
        after={"status": application.status, "partner": partner.pk, "rate_minor": rate_minor},
        ip=ip,
    )
    return application


@transaction.atomic
def application_reject(
    *, application_id: int, actor: User, reason: str, ip: str | None = None
) -> PartnerApplication:
    """Reject with an internal reason; the applicant gets a polite mail without it."""
    reason = clean_text(reason, limit=2000)
    if not reason:
        raise errors.ReasonMissing()
    application = _decidable(application_id)
    application.status = PartnerApplication.Status.REJECTED
    application.decided_at = clock.now()
    application.decided_by = actor
    application.decision_reason = reason
    application.save()
    mail_send(
        platform=application.platform,
        to=application.email,
        template="partner_application_rejected",
        context={"first_name": application.first_name},
        language=application.language,
        key=f"partner_application_rejected:{application.pk}",
    )
    audit_record(
        actor=actor,
        action="partner.application_reject",
        target=application,
        platform=application.platform,
        before={"status": PartnerApplication.Status.NEW},
        after={"status": application.status},
        reason=reason,
        ip=ip,
    )
    return application
