"""Writes of platforms: the contact form's messages."""

from __future__ import annotations

from django.core.mail import send_mail
from django.db import transaction
from django.utils.translation import gettext as _

from sprechzeit.core.net import address_hash
from sprechzeit.core.throttle import Bucket, Throttled, throttle_take
from sprechzeit.platforms.errors import ContactRateLimited
from sprechzeit.platforms.models import ContactMessage, Platform


@transaction.atomic
def contact_message_submit(
    *, platform: Platform, email: str, subject: str, message: str, ip: str
) -> ContactMessage:
    """Store a contact message for staff and mail it to the platform's contact address.

    At most as many messages per client address (`ip`, from `core.net.client_address`)
    and platform as the `contact_address` throttle allows; beyond that
    ContactRateLimited and nothing is stored. Only a keyed hash of the address is kept.
    """
    try:
        throttle_take(buckets=[Bucket("contact_address", f"{platform.pk}:{ip}")])
    except Throttled as exc:
        raise ContactRateLimited(platform=platform.slug) from exc
    ip_hash = address_hash(ip)
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
