"""A client's favourite partners (a star per listing) and "tell me when online" alerts:
one open alert per client and listing, mailed once when the partner goes online
(`sent_at`), after which the client may ask again. Imported by models.py."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from sprechzeit.accounts.models import ClientAccount, Listing


class Favourite(models.Model):
    client_account = models.ForeignKey(
        ClientAccount, on_delete=models.CASCADE, related_name="favourites"
    )
    listing = models.ForeignKey(Listing, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(_("gemerkt am"))

    class Meta:
        verbose_name = _("Favorit")
        verbose_name_plural = _("Favoriten")
        constraints = [
            models.UniqueConstraint(
                fields=["client_account", "listing"], name="favourite_once_per_listing"
            )
        ]

    def __str__(self) -> str:
        return f"{self.client_account_id} → {self.listing_id}"


class OnlineAlert(models.Model):
    client_account = models.ForeignKey(
        ClientAccount, on_delete=models.CASCADE, related_name="online_alerts"
    )
    listing = models.ForeignKey(Listing, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(_("angefordert am"))
    sent_at = models.DateTimeField(_("gesendet am"), null=True, blank=True)

    class Meta:
        verbose_name = _("Online-Benachrichtigung")
        verbose_name_plural = _("Online-Benachrichtigungen")
        constraints = [
            models.UniqueConstraint(
                fields=["client_account", "listing"],
                condition=Q(sent_at__isnull=True),
                name="onlinealert_one_open_per_listing",
            )
        ]

    def __str__(self) -> str:
        return f"{self.client_account_id} → {self.listing_id}"
