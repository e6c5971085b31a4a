"""Writes of platforms: the contact form's messages."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.cache import cache
from django.core.mail import send_mail
from django.db import transaction
from django.utils.translation import gettext as _

from sprechzeit.platforms.errors import ContactRateLimited
from sprechzeit.platforms.models import ContactMessage, Platform

CONTACT_LIMIT = 3  # messages …
CONTACT_WINDOW_SECONDS = 15 * 60  # … per address and platform in this window


def _ip_hash(ip: str) -> str:
    # Only a keyed hash of the address is kept: enough for the rate limit, not a profile.
    return hashlib.sha256(f"{settings.SECRET_KEY}:{ip}".encode()).hexdigest()


@transaction.atomic
def contact_message_submit(
    *, platform: Platform, email: str, subject: str, message: str, ip: str
) -> ContactMessage:
    """Store a contact message for staff and mail it to the platform's contact address.

    At most CONTACT_LIMIT messages per sender address and platform in
    CONTACT_WINDOW_SECONDS; beyond that ContactRateLimited and nothing is stored.
    """
    ip_hash = _ip_hash(ip)
    key = f"sprechzeit:contact:{platform.pk}:{ip_hash}"
    cache.add(key, 0, timeout=CONTACT_WINDOW_SECONDS)
    if cache.incr(key) > CONTACT_LIMIT:
        raise ContactRateLimited(platform=platform.slug)
    stored = ContactMessage.objects.create(
        platform=platform, email=email, subject=subject, message=message, ip_hash=ip_hash
    )
    body = _("Neue Kontaktanfrage über %(platform)s von %(email)s:\n\n%(message)s") % {
        "platform": platform.name,
        "email": email,
        "message": message,
    }
    transaction.on_commit(
        lambda: send_mail(
            subject=f"[{platform.name}] {subject}",
            message=body,
            from_email=None,
            recipient_list=[platform.contact_email],
        )
    )
    return stored
