"""Favourites and "tell me when this partner is online": a client stars a listing (on
and off), and asks for one mail when the partner next goes online; going online sends
each open alert once (`sent_at`, and the mail's key) after the commit."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.urls import reverse

from sprechzeit.accounts.models import ClientAccount, Listing, Partner
from sprechzeit.consultations.models import Favourite, OnlineAlert
from sprechzeit.core import clock
from sprechzeit.notifications.rendering import platform_link
from sprechzeit.notifications.services import mail_send


def _same_platform(client: ClientAccount, listing: Listing) -> None:
    if listing.platform_id != client.platform_id:
        raise Listing.DoesNotExist


def favourite_toggle(*, client: ClientAccount, listing: Listing) -> bool:
    """Star or unstar; True when the listing is a favourite afterwards."""
    _same_platform(client, listing)
    with transaction.atomic():
        deleted, _rows = Favourite.objects.filter(client_account=client, listing=listing).delete()
        if deleted:
            return False
        Favourite.objects.create(client_account=client, listing=listing, created_at=clock.now())
    return True


def online_alert_request(*, client: ClientAccount, listing: Listing) -> OnlineAlert:
    """One open alert per client and listing: asking again changes nothing."""
    _same_platform(client, listing)
    open_alert = OnlineAlert.objects.filter(
        client_account=client, listing=listing, sent_at__isnull=True
    ).first()
    if open_alert is not None:
        return open_alert
    try:
        with transaction.atomic():
            return OnlineAlert.objects.create(
                client_account=client, listing=listing, created_at=clock.now()
            )
    except IntegrityError:  # a concurrent request created it
        return OnlineAlert.objects.get(client_account=client, listing=listing, sent_at__isnull=True)


def online_alerts_send(*, partner: Partner) -> int:
    """The partner went online: mail every open alert on their listings once; returns
    how many were sent. Rows are claimed under lock, so two calls send each once."""
    sent = 0
    with transaction.atomic():
        alerts = list(
            OnlineAlert.objects.select_for_update(of=("self",))
            .filter(listing__partner=partner, sent_at__isnull=True, listing__is_published=True)
            .select_related("client_account__user", "listing__platform")
        )
        now = clock.now()
        for alert in alerts:
            listing = alert.listing
            mail_send(
                platform=listing.platform,
                to=alert.client_account.user,
                template="partner_online",
                context={
                    "user": alert.client_account.user,
                    "partner_name": listing.display_name,
                    "profile_url": platform_link(
                        listing.platform, reverse("site:listing", args=[listing.slug])
                    ),
                },
                key=f"online-alert:{alert.pk}",
            )
            alert.sent_at = now
            alert.save(update_fields=["sent_at"])
            sent += 1
    return sent
