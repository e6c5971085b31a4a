"""The partner file: search, one partner's money and records, adjustments (with a
second approver above the platform's limit), suspend and reactivate."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from sprechzeit.accounts.models import Listing, Partner, User
from sprechzeit.audit.selectors import history_for
from sprechzeit.backoffice.http import console_view, staff_ip
from sprechzeit.backoffice.nav import allowed
from sprechzeit.core import clock
from sprechzeit.core.http import back_on_domain_error
from sprechzeit.core.inputs import amount_parse
from sprechzeit.partners import selectors, services
from sprechzeit.partners.models import AdjustmentRequest
from sprechzeit.platforms.models import Platform


@console_view
def partner_list(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "")[:100]
    return render(
        request,
        "backoffice/partners/partners.html",
        {
            "partners": selectors.partners_search(query=query)[:100],
            "query": query,
            "pending": selectors.adjustments_pending(),
        },
    )


@console_view
def partner_detail(request: HttpRequest, pk: int) -> HttpResponse:
    partner = get_object_or_404(Partner.objects.select_related("user"), pk=pk)
    today = timezone.localdate(clock.now())
    return render(
        request,
        "backoffice/partners/partner.html",
        {
            "file": selectors.partner_file(partner=partner, today=today),
            "listings": Listing.objects.filter(partner=partner).select_related("platform"),
            "kinds": AdjustmentRequest.Kind.choices,
            "history": history_for(partner),
            "may_adjust": allowed(request, "backoffice:partners_adjustment_create"),
            "may_suspend": allowed(request, "backoffice:partners_suspend"),
        },
    )


@require_POST
@console_view
@back_on_domain_error("backoffice:partners_partner")
def adjustment_create(request: HttpRequest, pk: int) -> HttpResponse:
    partner = get_object_or_404(Partner, pk=pk)
    platform = Platform.objects.filter(pk=request.POST.get("platform") or 0).first()
    if platform is None:
        raise Http404
    assert isinstance(request.user, User)
    amount = amount_parse(
        request.POST.get("amount", ""), currency=platform.currency, field="amount"
    )
    adjustment = services.adjustment_request(
        partner=partner,
        platform=platform,
        kind=request.POST.get("kind", ""),
        amount=amount,
        reason=request.POST.get("reason", ""),
        actor=request.user,
        ip=staff_ip(request),
    )
    if adjustment.status == AdjustmentRequest.Status.BOOKED:
        messages.success(request, _("Anpassung gebucht; sie steht auf der nächsten Gutschrift."))
    else:
        messages.warning(
            request, _("Der Betrag liegt über dem Limit: eine zweite Person muss freigeben.")
        )
    return redirect("backoffice:partners_partner", pk=pk)


@require_POST
@console_view
@back_on_domain_error("backoffice:partners_partners")
def adjustment_approve(request: HttpRequest, pk: int) -> HttpResponse:
    assert isinstance(request.user, User)
    adjustment = services.adjustment_approve(
        request_id=pk, actor=request.user, ip=staff_ip(request)
    )
    messages.success(request, _("Anpassung freigegeben und gebucht."))
    return redirect("backoffice:partners_partner", pk=adjustment.partner_id)


@require_POST
@console_view
@back_on_domain_error("backoffice:partners_partners")
def adjustment_reject(request: HttpRequest, pk: int) -> HttpResponse:
    assert isinstance(request.user, User)
    adjustment = services.adjustment_reject(
        request_id=pk,
        actor=request.user,
        reason=request.POST.get("reason", ""),
        ip=staff_ip(request),
    )
    messages.success(request, _("Anpassung abgelehnt."))
    return redirect("backoffice:partners_partner", pk=adjustment.partner_id)


@require_POST
@console_view
@back_on_domain_error("backoffice:partners_partner")
def partner_suspend(request: HttpRequest, pk: int) -> HttpResponse:
    partner = get_object_or_404(Partner, pk=pk)
    assert isinstance(request.user, User)
    services.partner_suspend(
        partner=partner,
        actor=request.user,
        reason=request.POST.get("reason", ""),
        ip=staff_ip(request),
    )
    messages.success(request, _("Gesperrt: offline, keine Beratungen, Profile verborgen."))
    return redirect("backoffice:partners_partner", pk=pk)


@require_POST
@console_view
@back_on_domain_error("backoffice:partners_partner")
def partner_reactivate(request: HttpRequest, pk: int) -> HttpResponse:
    partner = get_object_or_404(Partner, pk=pk)
    assert isinstance(request.user, User)
    services.partner_reactivate(
        partner=partner,
        actor=request.user,
        reason=request.POST.get("reason", ""),
        ip=staff_ip(request),
    )
    messages.success(request, _("Entsperrt: die Profile sind wieder sichtbar."))
    return redirect("backoffice:partners_partner", pk=pk)
