"""Partner portal: payouts and their state. Staff: the SEPA file of a run."""

from __future__ import annotations

from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from sprechzeit.core.money import Money
from sprechzeit.payouts import selectors
from sprechzeit.payouts.models import PayoutRun
from sprechzeit.statements.selectors import partner_of_user


@login_required
def payout_list(request: HttpRequest) -> HttpResponse:
    partner = partner_of_user(request.user)
    if partner is None:
        raise Http404
    return render(
        request,
        "payouts/payout_list.html",
        {
            "payouts": [
                (payout, Money(payout.amount_minor, payout.currency))
                for payout in selectors.partner_payouts(partner=partner)
            ],
            "carried": selectors.partner_carried_forward(partner=partner),
        },
    )


@staff_member_required
@permission_required("payouts.download_sepa", raise_exception=True)
def staff_file(request: HttpRequest, pk: int) -> HttpResponse:
    run = get_object_or_404(PayoutRun, pk=pk)
    if run.file is None:
        raise Http404
    response = HttpResponse(bytes(run.file), content_type="application/xml")
    response["Content-Disposition"] = f'attachment; filename="{run.message_id}.xml"'
    return response
