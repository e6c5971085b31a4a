"""Listing revisions awaiting review: the queue, one revision beside what is live now,
approve (goes live) or reject with a reason (the old version stays), take over."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from sprechzeit.accounts.models import User
from sprechzeit.audit.selectors import history_for
from sprechzeit.audit.services import queue_claim
from sprechzeit.backoffice.http import console_view, staff_ip
from sprechzeit.backoffice.partners.common import REVISION_SLA, owner_of, queue_rows
from sprechzeit.core.http import back_on_domain_error
from sprechzeit.partners import selectors, services
from sprechzeit.partners.models import ListingRevision


@console_view
def revision_list(request: HttpRequest) -> HttpResponse:
    rows = queue_rows(list(selectors.revisions_pending()), opened="submitted_at", sla=REVISION_SLA)
    return render(request, "backoffice/partners/revisions.html", {"rows": rows})


@console_view
def revision_detail(request: HttpRequest, pk: int) -> HttpResponse:
    revision = get_object_or_404(
        ListingRevision.objects.select_related("listing__platform", "listing__partner__user"),
        pk=pk,
    )
    return render(
        request,
        "backoffice/partners/revision.html",
        {
            "revision": revision,
            "listing": revision.listing,
            "owner": owner_of(revision),
            # The revision's own entries (who took it) and the listing's (decisions).
            "history": sorted(
                [*history_for(revision), *history_for(revision.listing)],
                key=lambda entry: (entry.at, entry.pk),
                reverse=True,  # newest first, like every history
            ),
        },
    )


@require_POST
@console_view
@back_on_domain_error("backoffice:partners_revision")
def revision_approve(request: HttpRequest, pk: int) -> HttpResponse:
    assert isinstance(request.user, User)
    revision = services.revision_approve(revision_id=pk, actor=request.user, ip=staff_ip(request))
    messages.success(
        request,
        _("Freigegeben: das Profil „%(name)s“ zeigt jetzt diese Fassung.")
        % {"name": revision.listing.display_name},
    )
    return redirect("backoffice:partners_revisions")


@require_POST
@console_view
@back_on_domain_error("backoffice:partners_revision")
def revision_reject(request: HttpRequest, pk: int) -> HttpResponse:
    assert isinstance(request.user, User)
    services.revision_reject(
        revision_id=pk,
        actor=request.user,
        reason=request.POST.get("reason", ""),
        ip=staff_ip(request),
    )
    messages.success(request, _("Abgelehnt; das Profil zeigt weiter die bisherige Fassung."))
    return redirect("backoffice:partners_revisions")


@require_POST
@console_view
def revision_claim(request: HttpRequest, pk: int) -> HttpResponse:
    revision = get_object_or_404(ListingRevision, pk=pk)
    assert isinstance(request.user, User)
    queue_claim(actor=request.user, target=revision, owner=request.user, ip=staff_ip(request))
    messages.success(request, _("Sie bearbeiten diesen Vorgang."))
    return redirect("backoffice:partners_revision", pk=pk)
