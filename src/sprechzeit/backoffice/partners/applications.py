"""Partner applications: the queue, one application with its history, accept (with
the listing's price) or reject (with an internal reason), take over."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from sprechzeit.accounts.models import User
from sprechzeit.audit.selectors import history_for
from sprechzeit.audit.services import queue_claim
from sprechzeit.backoffice.http import console_view, staff_ip
from sprechzeit.backoffice.partners.common import APPLICATION_SLA, owner_of, queue_rows
from sprechzeit.core.http import back_on_domain_error
from sprechzeit.core.inputs import amount_parse
from sprechzeit.partners import selectors, services
from sprechzeit.partners.models import PartnerApplication


class AcceptForm(forms.Form):
    rate = forms.CharField(label=gettext_lazy("Preis pro Minute (€)"), max_length=8)


class RejectForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy(
            "Begründung (intern; die Absage an die Person ist höflich und allgemein)"
        ),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


@console_view
def application_list(request: HttpRequest) -> HttpResponse:
    rows = queue_rows(
        list(selectors.applications_open()), opened="submitted_at", sla=APPLICATION_SLA
    )
    return render(
        request,
        "backoffice/partners/applications.html",
        {"rows": rows, "recent": selectors.applications_recent()},
    )


@console_view
def application_detail(request: HttpRequest, pk: int) -> HttpResponse:
    application = get_object_or_404(
        PartnerApplication.objects.select_related("platform", "partner__user", "decided_by"), pk=pk
    )
    platform = application.platform
    rate = f"{platform.rate_min_minor / 100:.2f}".replace(".", ",")
    return render(
        request,
        "backoffice/partners/application.html",
        {
            "application": application,
            "owner": owner_of(application),
            "history": history_for(application),
            "accept_form": AcceptForm(initial={"rate": rate}),
            "reject_form": RejectForm(),
        },
    )


@require_POST
@console_view
@back_on_domain_error("backoffice:partners_application")
def application_accept(request: HttpRequest, pk: int) -> HttpResponse:
    application = get_object_or_404(PartnerApplication.objects.select_related("platform"), pk=pk)
    assert isinstance(request.user, User)
    rate = amount_parse(
        request.POST.get("rate", ""), currency=application.platform.currency, field="rate"
    )
    services.application_accept(
        application_id=pk, actor=request.user, rate_minor=rate.minor, ip=staff_ip(request)
    )
    messages.success(request, _("Bewerbung angenommen, die Einladung ist verschickt."))
    return redirect("backoffice:partners_application", pk=pk)


@require_POST
@console_view
@back_on_domain_error("backoffice:partners_application")
def application_reject(request: HttpRequest, pk: int) -> HttpResponse:
    assert isinstance(request.user, User)
    services.application_reject(
        application_id=pk,
        actor=request.user,
        reason=request.POST.get("reason", ""),
        ip=staff_ip(request),
    )
    messages.success(request, _("Bewerbung abgelehnt, die Absage ist verschickt."))
    return redirect("backoffice:partners_application", pk=pk)


@require_POST
@console_view
def application_claim(request: HttpRequest, pk: int) -> HttpResponse:
    application = get_object_or_404(PartnerApplication, pk=pk)
    assert isinstance(request.user, User)
    queue_claim(actor=request.user, target=application, owner=request.user, ip=staff_ip(request))
    messages.success(request, _("Sie bearbeiten diesen Vorgang."))
    return redirect("backoffice:partners_application", pk=pk)
