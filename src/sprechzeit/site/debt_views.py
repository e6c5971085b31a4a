"""The client's debt page: what is owed after a chargeback, the dunning state, an
instalment plan (offered: accept or decline; active: its schedule), and the pay
button (a top-up of the amount due, which settles the receivable first)."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from sprechzeit.accounts.models import ClientAccount
from sprechzeit.collections.models import InstalmentPlan, PlanStatus
from sprechzeit.collections.selectors import debt_of
from sprechzeit.collections.services.instalments import instalment_plan_answer
from sprechzeit.core.http import back_on_domain_error
from sprechzeit.payments import selectors as payment_selectors
from sprechzeit.payments.models import Channel
from sprechzeit.site.account_views import client_required


@client_required
def debt_page(request: HttpRequest, account: ClientAccount) -> HttpResponse:
    debt = debt_of(account)
    channels = [
        c
        for c in payment_selectors.channels_for(client_account=account)
        if c.channel != Channel.BANK_TRANSFER
    ]
    return render(
        request,
        "site/debt.html",
        {
            "account": account,
            "debt": debt,
            "channels": channels,
            "pay_text": f"{debt.pay_now.amount:.2f}".replace(".", ",") if debt else "",
            "instalments": list(debt.plan.instalments.order_by("number"))
            if debt and debt.plan
            else [],
            "entity": account.platform.legal_entity,
        },
    )


@client_required
@back_on_domain_error("site:debt")
def debt_plan_answer(request: HttpRequest, account: ClientAccount) -> HttpResponse:
    """The client accepts or declines the instalment plan offered to them (a GET goes
    to the debt page)."""
    if request.method != "POST":
        return redirect("site:debt")
    plan = InstalmentPlan.objects.filter(
        pk=request.POST.get("plan", "0") if request.POST.get("plan", "").isdigit() else 0,
        case__client_account=account,
        status=PlanStatus.OFFERED,
    ).first()
    if plan is None:
        raise Http404(_("Dieses Angebot gibt es nicht."))
    accept = request.POST.get("answer") == "accept"
    instalment_plan_answer(client_account=account, plan=plan, accept=accept)
    messages.success(
        request,
        _("Ratenzahlung vereinbart.") if accept else _("Sie haben das Angebot abgelehnt."),
    )
    return redirect("site:debt")
