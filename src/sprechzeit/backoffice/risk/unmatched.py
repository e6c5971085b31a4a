"""Unmatched payments: bank lines waiting for a client (assign by customer number or set
aside) and provider notifications that failed or wait for review (process again);
the bank-statement upload is linked from here."""

from __future__ import annotations

from datetime import timedelta
from typing import Final

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from sprechzeit.backoffice.http import console_view, staff_ip
from sprechzeit.backoffice.risk.common import actor, post_only, queue_rows
from sprechzeit.collections import selectors
from sprechzeit.collections.services import bank
from sprechzeit.core.http import back_on_domain_error
from sprechzeit.payments.models import BankEntry, InboxEntry

# Unmatched money should find its client within two working days.
UNMATCHED_SLA: Final = timedelta(hours=48)


@console_view
def unmatched_queue(request: HttpRequest) -> HttpResponse:
    entries = list(selectors.bank_entries_unmatched()[:200])
    inbox = list(selectors.inbox_entries_failed()[:200])
    return render(
        request,
        "backoffice/risk/unmatched.html",
        {
            "entries": queue_rows(entries, opened="booking_date", sla=UNMATCHED_SLA),
            "inbox": queue_rows(inbox, opened="received_at", sla=UNMATCHED_SLA),
        },
    )


@console_view
@post_only("backoffice:risk_unmatched")
@back_on_domain_error("backoffice:risk_unmatched")
def entry_assign(request: HttpRequest, entry_id: int) -> HttpResponse:
    entry = get_object_or_404(BankEntry, pk=entry_id)
    bank.bank_entry_assign(
        actor=actor(request),
        entry=entry,
        customer_number=request.POST.get("customer_number", "")[:40],
        ip=staff_ip(request),
    )
    messages.success(request, _("Dem Kunden gutgeschrieben."))
    return redirect("backoffice:risk_unmatched")


@console_view
@post_only("backoffice:risk_unmatched")
@back_on_domain_error("backoffice:risk_unmatched")
def entry_ignore(request: HttpRequest, entry_id: int) -> HttpResponse:
    entry = get_object_or_404(BankEntry, pk=entry_id)
    bank.bank_entry_ignore(
        actor=actor(request),
        entry=entry,
        reason=request.POST.get("reason", "")[:300],
        ip=staff_ip(request),
    )
    messages.success(request, _("Als nicht relevant markiert."))
    return redirect("backoffice:risk_unmatched")


@console_view
@post_only("backoffice:risk_unmatched")
@back_on_domain_error("backoffice:risk_unmatched")
def inbox_retry(request: HttpRequest, entry_id: int) -> HttpResponse:
    entry = get_object_or_404(
        InboxEntry.objects.select_related("provider_config__platform"), pk=entry_id
    )
    done = bank.inbox_entry_retry(actor=actor(request), entry=entry, ip=staff_ip(request))
    messages.info(request, _("Neu verarbeitet: %(status)s") % {"status": done.get_status_display()})
    return redirect("backoffice:risk_unmatched")
