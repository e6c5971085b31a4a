"""The risk area's disputes queue: open chargebacks with owner, age and SLA colour, and
each one's page (payment, client, balance, history, notes, evidence, the outcome)."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from sprechzeit.audit.selectors import history_for
from sprechzeit.backoffice.http import console_view, staff_ip
from sprechzeit.backoffice.risk.common import actor, owner_of, post_only, queue_rows
from sprechzeit.collections import selectors
from sprechzeit.collections.models import DisputeEvidence
from sprechzeit.collections.services import disputes
from sprechzeit.collections.services.refunds import risk_settings
from sprechzeit.core.http import back_on_domain_error
from sprechzeit.payments.models import Dispute, DisputeStatus
from sprechzeit.wallets import services as wallets

MAX_UPLOAD = 10 * 1024 * 1024


@console_view
def disputes_queue(request: HttpRequest) -> HttpResponse:
    items = list(selectors.disputes_open())
    rows = []
    for item in items:
        hours = risk_settings(platform=item.payment.platform).dispute_sla_hours
        rows.extend(queue_rows([item], opened="opened_at", sla=timedelta(hours=hours)))
    return render(
        request,
        "backoffice/risk/disputes.html",
        {"rows": rows, "decided": selectors.disputes_decided()},
    )


def _dispute(dispute_id: int) -> Dispute:
    return get_object_or_404(
        Dispute.objects.select_related(
            "payment__client_account__user", "payment__platform", "payment__provider_config"
        ),
        pk=dispute_id,
    )


@console_view
def dispute_detail(request: HttpRequest, dispute_id: int) -> HttpResponse:
    dispute = _dispute(dispute_id)
    account = dispute.payment.client_account
    return render(
        request,
        "backoffice/risk/dispute.html",
        {
            "dispute": dispute,
            "payment": dispute.payment,
            "account": account,
            "balance": wallets.wallet_balance(client_account=account),
            "owner": owner_of(dispute),
            "history": history_for(dispute)[:50],
            "notes": dispute.notes.select_related("author"),
            "evidence": dispute.evidence.select_related("uploaded_by").defer("content"),
            "case": selectors.case_of(account),
            "open": dispute.status == DisputeStatus.OPEN,
            "outcomes": [
                (DisputeStatus.WON, _("gewonnen: Betrag zurückbuchen")),
                (DisputeStatus.LOST, _("verloren: Belastung bleibt, Mahnverfahren")),
                (DisputeStatus.ACCEPTED, _("akzeptiert: Belastung bleibt, Mahnverfahren")),
            ],
        },
    )


def _back(dispute_id: int) -> HttpResponse:
    return redirect("backoffice:risk_dispute", dispute_id=dispute_id)


@console_view
@post_only("backoffice:risk_disputes")
@back_on_domain_error("backoffice:risk_dispute")
def dispute_note(request: HttpRequest, dispute_id: int) -> HttpResponse:
    disputes.dispute_note_add(
        actor=actor(request),
        dispute=_dispute(dispute_id),
        text=request.POST.get("text", ""),
        ip=staff_ip(request),
    )
    messages.success(request, _("Notiz gespeichert."))
    return _back(dispute_id)


@console_view
@post_only("backoffice:risk_disputes")
@back_on_domain_error("backoffice:risk_dispute")
def dispute_evidence(request: HttpRequest, dispute_id: int) -> HttpResponse:
    upload = request.FILES.get("file")
    if upload is None or upload.size is None or upload.size > MAX_UPLOAD:
        messages.error(request, _("Bitte eine Datei bis 10 MB wählen."))
        return _back(dispute_id)
    disputes.dispute_evidence_add(
        actor=actor(request),
        dispute=_dispute(dispute_id),
        upload=upload.read(MAX_UPLOAD + 1),
        description=request.POST.get("description", ""),
        ip=staff_ip(request),
    )
    messages.success(request, _("Beleg geprüft und gespeichert."))
    return _back(dispute_id)


@console_view
def evidence_file(request: HttpRequest, evidence_id: int) -> HttpResponse:
    """A stored evidence file, only ever as a download."""
    evidence = DisputeEvidence.objects.filter(pk=evidence_id).first()
    if evidence is None:
        raise Http404(_("Diesen Beleg gibt es nicht."))
    response = HttpResponse(bytes(evidence.content), content_type=evidence.content_type)
    response["Content-Disposition"] = f'attachment; filename="{evidence.file_name}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


@console_view
@post_only("backoffice:risk_disputes")
@back_on_domain_error("backoffice:risk_dispute")
def dispute_outcome(request: HttpRequest, dispute_id: int) -> HttpResponse:
    case = disputes.dispute_outcome(
        actor=actor(request),
        dispute=_dispute(dispute_id),
        outcome=request.POST.get("outcome", ""),
        reason=request.POST.get("reason", "").strip()[:1000],
        ip=staff_ip(request),
    )
    if case is not None:
        messages.success(
            request, _("Entschieden. Der Kunde ist im Mahnverfahren (offener Betrag).")
        )
        return redirect("backoffice:risk_case", case_id=case.pk)
    messages.success(request, _("Entschieden."))
    return _back(dispute_id)
