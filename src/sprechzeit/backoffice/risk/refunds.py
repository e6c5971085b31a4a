"""The refunds queue: requested vs refundable now, the channels the money would go
back to, partial approval, four eyes above the platform's amount, rejection."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from sprechzeit.audit.selectors import history_for
from sprechzeit.backoffice.http import console_view, staff_ip
from sprechzeit.backoffice.risk.common import actor, owner_of, post_only, queue_rows
from sprechzeit.collections import selectors
from sprechzeit.collections.models import RefundApproval
from sprechzeit.collections.services import refunds
from sprechzeit.core.http import back_on_domain_error
from sprechzeit.core.inputs import amount_parse
from sprechzeit.core.money import Money, money_text
from sprechzeit.payments.models import RefundRequest, RefundRequestStatus
from sprechzeit.payments.selectors import refundable_now
from sprechzeit.wallets import services as wallets


@console_view
def refunds_queue(request: HttpRequest) -> HttpResponse:
    items = list(selectors.refund_requests_open())
    rows = []
    for item in items:
        settings = refunds.risk_settings(platform=item.client_account.platform)
        [row] = queue_rows(
            [item], opened="created_at", sla=timedelta(hours=settings.refund_sla_hours)
        )
        rows.append(
            (
                row,
                Money(int(item.amount_minor), item.currency),
                refundable_now(item.client_account),
                RefundApproval.objects.filter(request=item).select_related("approved_by").first(),
            )
        )
    return render(request, "backoffice/risk/refunds.html", {"rows": rows})


def _request(request_id: int) -> RefundRequest:
    return get_object_or_404(
        RefundRequest.objects.select_related("client_account__user", "client_account__platform"),
        pk=request_id,
    )


@console_view
def refund_detail(request: HttpRequest, request_id: int) -> HttpResponse:
    item = _request(request_id)
    account = item.client_account
    requested = Money(int(item.amount_minor), item.currency)
    refundable = refundable_now(account)
    first = RefundApproval.objects.filter(request=item).select_related("approved_by").first()
    proposal = (
        Money(int(first.amount_minor), item.currency) if first else min(requested, refundable)
    )
    settings = refunds.risk_settings(platform=account.platform)
    return render(
        request,
        "backoffice/risk/refund.html",
        {
            "item": item,
            "account": account,
            "requested": requested,
            "refundable": refundable,
            "proposal": proposal,
            "proposal_text": f"{proposal.amount:.2f}".replace(".", ","),
            "channels": selectors.refund_channels(item, proposal) if proposal.minor > 0 else [],
            "balance": wallets.wallet_balance(client_account=account),
            "first": first,
            "four_eyes": Money(int(settings.refund_four_eyes_minor), item.currency),
            "open": item.status == RefundRequestStatus.REQUESTED,
            "refunds": item.refunds.select_related("payment"),
            "owner": owner_of(item),
            "history": history_for(item)[:50],
        },
    )


@console_view
@post_only("backoffice:risk_refunds")
@back_on_domain_error("backoffice:risk_refund")
def refund_approve(request: HttpRequest, request_id: int) -> HttpResponse:
    item = _request(request_id)
    raw = request.POST.get("amount", "").strip()
    amount = (
        amount_parse(
            raw,
            currency=item.currency,
            field="amount",
            message=_("Bitte geben Sie einen gültigen Betrag ein."),
        )
        if raw
        else None
    )
    decision = refunds.refund_decide_approve(
        actor=actor(request),
        request=item,
        amount=amount,
        reason=request.POST.get("reason", "").strip()[:1000],
        ip=staff_ip(request),
    )
    if decision.awaiting_second is not None:
        messages.info(
            request,
            _(
                "Erste Freigabe gespeichert. Eine zweite Person mit der Rolle Risiko muss bestätigen."
            ),
        )
    else:
        total = sum(int(r.amount_minor) for r in decision.refunds)
        messages.success(
            request,
            _("Erstattung über %(amount)s freigegeben (beantragt: %(requested)s).")
            % {
                "amount": money_text(Money(total, item.currency), get_language()),
                "requested": money_text(
                    Money(int(item.amount_minor), item.currency), get_language()
                ),
            },
        )
    return redirect("backoffice:risk_refund", request_id=request_id)


@console_view
@post_only("backoffice:risk_refunds")
@back_on_domain_error("backoffice:risk_refund")
def refund_reject(request: HttpRequest, request_id: int) -> HttpResponse:
    refunds.refund_decide_reject(
        actor=actor(request),
        request=_request(request_id),
        reason=request.POST.get("reason", "")[:1000],
        ip=staff_ip(request),
    )
    messages.success(request, _("Antrag abgelehnt; der Kunde wird per E-Mail informiert."))
    return redirect("backoffice:risk_refund", request_id=request_id)
