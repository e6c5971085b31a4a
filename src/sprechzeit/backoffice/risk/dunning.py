"""Dunning: the clients who owe money, where each case stands in the platform's plan,
instalment plans agreed or offered, and the write-off."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from sprechzeit.audit.selectors import history_for
from sprechzeit.backoffice.http import console_view, staff_ip
from sprechzeit.backoffice.risk.common import actor, owner_of, post_only, queue_rows
from sprechzeit.collections import selectors
from sprechzeit.collections.errors import InstalmentPlanInvalid
from sprechzeit.collections.models import DunningCase
from sprechzeit.collections.services import instalments, writeoffs
from sprechzeit.collections.services.dunning import dunning_plan
from sprechzeit.core import clock
from sprechzeit.core.http import back_on_domain_error
from sprechzeit.core.money import Money, money_text
from sprechzeit.wallets import services as wallets


@console_view
def dunning_queue(request: HttpRequest) -> HttpResponse:
    cases = list(selectors.cases_active())
    rows = []
    for row in queue_rows(cases, opened="opened_at", sla=None):
        plan = dunning_plan(platform=row.item.platform)
        owed = wallets.wallet_balance(client_account=row.item.client_account).receivable
        rows.append((row, owed, len(plan.reminder_days), plan.write_off_after_days))
    return render(request, "backoffice/risk/dunning.html", {"rows": rows})


def _case(case_id: int) -> DunningCase:
    return get_object_or_404(
        DunningCase.objects.select_related("client_account__user", "platform"), pk=case_id
    )


@console_view
def case_detail(request: HttpRequest, case_id: int) -> HttpResponse:
    case = _case(case_id)
    account = case.client_account
    plan = dunning_plan(platform=case.platform)
    return render(
        request,
        "backoffice/risk/case.html",
        {
            "case": case,
            "account": account,
            "balance": wallets.wallet_balance(client_account=account),
            "plan": plan,
            "reminders": case.reminders.all(),
            "plans": case.plans.prefetch_related("instalments"),
            "write_off": getattr(case, "write_off", None),
            "payments": account.payments.order_by("-created_at")[:10],
            "owner": owner_of(case),
            "history": history_for(case)[:50],
            "first_due": timezone.localdate(clock.now()) + timedelta(days=1),
            "disputes": selectors.disputes_of(account),
        },
    )


@console_view
@post_only("backoffice:risk_dunning")
@back_on_domain_error("backoffice:risk_case")
def case_instalments(request: HttpRequest, case_id: int) -> HttpResponse:
    raw_count, raw_interval = request.POST.get("count", ""), request.POST.get("interval", "")
    try:
        first = parse_date(request.POST.get("first_due", ""))
    except ValueError:
        first = None
    if not (raw_count.isdigit() and raw_interval.isdigit() and first is not None):
        raise InstalmentPlanInvalid()
    offer = request.POST.get("mode") == "offer"
    plan = instalments.instalment_plan_create(
        actor=actor(request),
        case=_case(case_id),
        count=int(raw_count),
        interval_days=int(raw_interval),
        first_due_on=first,
        offer=offer,
        reason=request.POST.get("reason", "").strip()[:1000],
        ip=staff_ip(request),
    )
    messages.success(
        request,
        (
            _("Ratenplan angeboten: %(count)s Raten über %(total)s.")
            if offer
            else _("Ratenplan vereinbart: %(count)s Raten über %(total)s.")
        )
        % {
            "count": plan.count,
            "total": money_text(Money(int(plan.total_minor), plan.case.currency), get_language()),
        },
    )
    return redirect("backoffice:risk_case", case_id=case_id)


@console_view
@post_only("backoffice:risk_dunning")
@back_on_domain_error("backoffice:risk_case")
def case_write_off(request: HttpRequest, case_id: int) -> HttpResponse:
    write_off = writeoffs.dunning_write_off(
        actor=actor(request),
        case=_case(case_id),
        reason=request.POST.get("reason", "")[:300],
        ip=staff_ip(request),
    )
    messages.success(
        request,
        _("Abgeschrieben: %(amount)s.")
        % {
            "amount": money_text(
                Money(int(write_off.amount_minor), write_off.currency), get_language()
            )
        },
    )
    return redirect("backoffice:risk_case", case_id=case_id)
