"""The partner's ratings: what clients wrote about each listing, with a "melden" form."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from sprechzeit.accounts.models import Partner
from sprechzeit.consultations.models import Rating
from sprechzeit.partner.access import partner_required
from sprechzeit.support.forms import RatingReportForm
from sprechzeit.support.models import RatingReport
from sprechzeit.support.services import rating_report


@partner_required
def ratings(request: HttpRequest, partner: Partner) -> HttpResponse:
    """GET: the ratings of the partner's listings (hidden ones marked); POST: report one."""
    own = Rating.objects.filter(listing__partner=partner).select_related("listing__platform")
    if request.method == "POST":
        form = RatingReportForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Bitte wählen Sie einen Grund für die Meldung."))
            return redirect("partner:ratings")
        rating = own.filter(pk=form.cleaned_data["rating"]).first()
        if rating is None:
            raise Http404
        rating_report(
            reporter=partner.user,
            rating=rating,
            reason=form.cleaned_data["reason"],
            comment=form.cleaned_data["comment"],
        )
        messages.success(request, _("Danke für Ihre Meldung. Wir prüfen die Bewertung."))
        return redirect("partner:ratings")
    reported = set(
        RatingReport.objects.filter(
            reporter=partner.user, resolved_at__isnull=True, rating__in=own
        ).values_list("rating_id", flat=True)
    )
    return render(
        request,
        "partner/ratings.html",
        {
            "partner": partner,
            "ratings": own.order_by("-created_at")[:100],
            "reported": reported,
            "report_reasons": RatingReport.Reason.choices,
        },
    )
