"""The partner portal: dashboard (availability, requests, earnings), listings."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from sprechzeit.accounts.errors import RateOutOfRange
from sprechzeit.accounts.models import Listing, Partner
from sprechzeit.consultations.errors import ConsultationError
from sprechzeit.consultations.models import PartnerPresence
from sprechzeit.consultations.selectors import partner_availability
from sprechzeit.consultations.services import presence_set
from sprechzeit.consultations.services.video import listing_video_set
from sprechzeit.core import clock
from sprechzeit.core.inputs import form_status
from sprechzeit.partner.access import partner_required
from sprechzeit.partner.earnings import earnings_chart, earnings_month
from sprechzeit.partner.forms import ListingForm
from sprechzeit.partners.selectors import revision_pending
from sprechzeit.partners.services import listing_edit_submit, onboarding_open


@partner_required
def dashboard(request: HttpRequest, partner: Partner) -> HttpResponse:
    today = timezone.localdate(clock.now())
    earnings = earnings_month(partner=partner, today=today)
    charts, chart_month = earnings.charts, today
    if not charts:
        # Nothing settled this month yet (the 1st, early): last month's chart instead of
        # none, captioned with its month.
        chart_month = today.replace(day=1) - timedelta(days=1)
        charts = earnings_chart(partner=partner, month=chart_month)
    return render(
        request,
        "partner/dashboard.html",
        {
            "partner": partner,
            "availability": partner_availability(partner=partner),
            "today": earnings.today,
            "month": earnings.month,
            "charts": charts,
            "month_label": chart_month,
            "listings": partner.listings.select_related("platform").order_by("platform__name"),
            "onboarding_open": onboarding_open(partner=partner) is not None,
        },
    )


@require_POST
@partner_required
def availability(request: HttpRequest, partner: Partner) -> HttpResponse:
    status = request.POST.get("status", "")
    if status not in PartnerPresence.Status.values:
        messages.error(request, _("Unbekannter Status."))
    else:
        presence_set(partner=partner, status=status)
        messages.success(
            request,
            _("Sie sind jetzt online und erhalten Anfragen.")
            if status == PartnerPresence.Status.ONLINE
            else _("Sie sind jetzt offline."),
        )
    return redirect("partner:dashboard")


def _own_listing(partner: Partner, listing_id: int) -> Listing:
    listing = (
        Listing.objects.select_related("platform").filter(pk=listing_id, partner=partner).first()
    )
    if listing is None:
        raise Http404(_("Dieses Profil gibt es nicht."))
    return listing


@partner_required
def listing_edit(request: HttpRequest, partner: Partner, listing_id: int) -> HttpResponse:
    listing = _own_listing(partner, listing_id)
    initial = {
        "display_name": listing.display_name,
        "headline": listing.headline,
        "description": listing.description,
        "rate": f"{listing.rate.amount:.2f}".replace(".", ","),
        "categories": list(listing.categories.all()),
        "video_enabled": listing.video_enabled,
        "video_rate": (
            f"{listing.video_rate_minor / 100:.2f}".replace(".", ",")
            if listing.video_rate_minor
            else ""
        ),
    }
    form = ListingForm(
        request.POST or None, request.FILES or None, listing=listing, initial=initial
    )
    preview = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if "preview" in request.POST:
            preview = {
                "display_name": data["display_name"],
                "headline": data["headline"],
                "description": data["description"],
                "rate_minor": data["rate"],
                "categories": data["categories"],
                "video_rate_minor": data.get("video_rate") if data.get("video_enabled") else None,
            }
        else:
            try:
                revision = listing_edit_submit(
                    listing=listing,
                    display_name=data["display_name"],
                    headline=data["headline"],
                    description=data["description"],
                    rate_minor=data["rate"],
                    categories=list(data["categories"]),
                    photo=data["photo"],
                )
                if "video_enabled" in data:
                    listing_video_set(
                        listing=listing,
                        enabled=data["video_enabled"],
                        rate_minor=data["video_rate"],
                    )
            except RateOutOfRange:
                form.add_error("rate", form.fields["rate"].help_text)
            except ConsultationError as refused:  # the platform's video limits
                form.add_error("video_rate", str(refused.message))
            else:
                messages.success(
                    request,
                    _("Ihr Profil ist gespeichert.")
                    if revision is None
                    else _(
                        "Ihr Preis gilt ab sofort. Texte, Kategorien und Foto prüfen wir; "
                        "bis zur Freigabe zeigt Ihr Profil die bisherige Fassung."
                    ),
                )
                return redirect("partner:listing_edit", listing_id=listing.pk)
    return render(
        request,
        "partner/listing_edit.html",
        {
            "listing": listing,
            "form": form,
            "preview": preview,
            "pending": revision_pending(listing=listing),
        },
        status=form_status(form),
    )
