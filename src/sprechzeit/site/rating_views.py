"""A client reports a rating on a partner's profile ("melden")."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from sprechzeit.consultations.models import Rating
from sprechzeit.core.http import back_on_domain_error
from sprechzeit.platforms.http import PlatformRequest
from sprechzeit.support.forms import RatingReportForm
from sprechzeit.support.services import rating_report


@require_POST
@login_required
@back_on_domain_error("site:listing")
def rating_report_view(request: PlatformRequest, slug: str) -> HttpResponse:
    platform = request.platform
    if platform is None:
        raise Http404
    form = RatingReportForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Bitte wählen Sie einen Grund für die Meldung."))
        return redirect("site:listing", slug=slug)
    rating = (
        Rating.objects.select_related("listing__partner")
        .filter(
            pk=form.cleaned_data["rating"],
            listing__platform=platform,
            listing__slug=slug,
            hidden_at__isnull=True,
        )
        .first()
    )
    if rating is None:
        raise Http404
    rating_report(
        reporter=request.user,  # type: ignore[arg-type]
        rating=rating,
        reason=form.cleaned_data["reason"],
        comment=form.cleaned_data["comment"],
    )
    messages.success(request, _("Danke für Ihre Meldung. Wir prüfen die Bewertung."))
    return redirect("site:listing", slug=slug)
