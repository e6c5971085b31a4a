"""Payout runs (accounting): the runs with their state, start a run per issuing
entity, download the SEPA file, mark it handed to the bank; the bank-statement upload
that confirms or returns the payouts is linked from here."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from sprechzeit.accounts.models import User
from sprechzeit.backoffice.http import console_view, staff_ip
from sprechzeit.core.http import back_on_domain_error
from sprechzeit.partners import selectors, services
from sprechzeit.payouts.models import PayoutRun
from sprechzeit.platforms.models import LegalEntity


@console_view
def run_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "backoffice/partners/payout_runs.html",
        {
            "runs": selectors.payout_runs_recent(),
            "entities": LegalEntity.objects.order_by("name"),
        },
    )


@require_POST
@console_view
@back_on_domain_error("backoffice:partners_payout_runs")
def run_start(request: HttpRequest) -> HttpResponse:
    entity = LegalEntity.objects.filter(pk=request.POST.get("legal_entity") or 0).first()
    if entity is None:
        raise Http404
    assert isinstance(request.user, User)
    run = services.payout_run_start(legal_entity=entity, actor=request.user, ip=staff_ip(request))
    messages.success(
        request,
        _("Auszahlungslauf %(id)s mit %(count)s Auszahlungen erstellt.")
        % {"id": run.message_id, "count": run.count},
    )
    return redirect("backoffice:partners_payout_runs")


@console_view
def run_file(request: HttpRequest, pk: int) -> HttpResponse:
    run = get_object_or_404(PayoutRun, pk=pk)
    if run.file is None:
        raise Http404
    response = HttpResponse(bytes(run.file), content_type="application/xml")
    response["Content-Disposition"] = f'attachment; filename="{run.message_id}.xml"'
    return response


@require_POST
@console_view
@back_on_domain_error("backoffice:partners_payout_runs")
def run_sent(request: HttpRequest, pk: int) -> HttpResponse:
    run = get_object_or_404(PayoutRun, pk=pk)
    assert isinstance(request.user, User)
    services.payout_run_mark_sent(run=run, actor=request.user, ip=staff_ip(request))
    messages.success(request, _("Als an die Bank übergeben markiert."))
    return redirect("backoffice:partners_payout_runs")
