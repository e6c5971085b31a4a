"""The client's favourites page, the star on a profile and "tell me when online".
Thin: parse, call one service, redirect back with a message."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from sprechzeit.accounts.models import ClientAccount, Listing
from sprechzeit.consultations.selectors import favourites_of
from sprechzeit.consultations.services.favourites import favourite_toggle, online_alert_request
from sprechzeit.platforms.http import PlatformRequest


def _client_of(request: PlatformRequest) -> ClientAccount:
    """The client of this platform (partners and other platforms' clients: 404)."""
    client = ClientAccount.objects.filter(
        user_id=request.user.pk or 0, platform=request.platform
    ).first()
    if client is None or request.platform is None:
        raise Http404
    return client


def _listing(request: PlatformRequest, slug: str) -> Listing:
    listing = Listing.objects.filter(
        platform=request.platform, slug=slug, is_published=True
    ).first()
    if listing is None:
        raise Http404
    return listing


@login_required
@require_GET
def favourites_page(request: PlatformRequest) -> HttpResponse:
    client = _client_of(request)
    return render(
        request, "consultations/favourites.html", {"entries": favourites_of(client=client)}
    )


@login_required
@require_POST
def favourite_toggle_view(request: PlatformRequest, slug: str) -> HttpResponse:
    client = _client_of(request)
    listing = _listing(request, slug)
    starred = favourite_toggle(client=client, listing=listing)
    messages.success(
        request,
        (
            _("%(name)s ist jetzt in Ihren Favoriten.")
            if starred
            else _("%(name)s ist nicht mehr in Ihren Favoriten.")
        )
        % {"name": listing.display_name},
    )
    if request.POST.get("zurueck") == "favoriten":
        return redirect("consultations:favourites")
    return redirect("site:listing", listing.slug)


@login_required
@require_POST
def online_alert_view(request: PlatformRequest, slug: str) -> HttpResponse:
    client = _client_of(request)
    listing = _listing(request, slug)
    online_alert_request(client=client, listing=listing)
    messages.success(
        request,
        _("Wir schreiben Ihnen einmal, sobald %(name)s online ist.")
        % {"name": listing.display_name},
    )
    return redirect("site:listing", listing.slug)
