"""The support console's queues: contact messages (answer by mail, the thread) and
reported ratings (hide, keep, restore). Client files and goodwill: `clients.py`."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from sprechzeit.accounts.models import User
from sprechzeit.backoffice.http import console_view, staff_ip
from sprechzeit.backoffice.support.forms import ReplyForm
from sprechzeit.backoffice.support.queues import (
    CONTACT_SLA,
    RATING_SLA,
    claim_from_post,
    item_header,
    queue_rows,
)
from sprechzeit.consultations.models import Rating
from sprechzeit.core.http import back_on_domain_error
from sprechzeit.platforms.models import ContactMessage
from sprechzeit.support import selectors
from sprechzeit.support.services import (
    contact_message_set_handled,
    contact_reply_send,
    rating_hide,
    rating_keep,
    rating_restore,
)


def _staff(request: HttpRequest) -> User:
    assert isinstance(request.user, User)  # console_view let only staff in
    return request.user


@console_view
def messages_queue(request: HttpRequest) -> HttpResponse:
    handled = request.GET.get("status") == "handled"
    items = list(selectors.contact_queue(handled=handled)[:200])
    rows = queue_rows(items, opened=lambda m: m.created_at, sla=CONTACT_SLA)
    return render(request, "backoffice/support/messages.html", {"rows": rows, "handled": handled})


@console_view
@require_http_methods(["GET", "POST"])
@back_on_domain_error("backoffice:support_message")
def message_detail(request: HttpRequest, pk: int) -> HttpResponse:
    message = get_object_or_404(ContactMessage.objects.select_related("platform"), pk=pk)
    form = ReplyForm(request.POST if request.POST.get("action") == "reply" else None)
    if request.method == "POST":
        action, staff, ip = request.POST.get("action", ""), _staff(request), staff_ip(request)
        done = claim_from_post(request, message)
        if action == "reply" and form.is_valid():
            contact_reply_send(
                actor=staff,
                message=message,
                body=form.cleaned_data["body"],
                close=form.cleaned_data["close"],
                ip=ip,
            )
            messages.success(request, _("Antwort gesendet."))
            done = True
        elif action in ("close", "reopen"):
            contact_message_set_handled(
                actor=staff, message=message, handled=action == "close", ip=ip
            )
            messages.success(request, _("Gespeichert."))
            done = True
        if done:
            return redirect("backoffice:support_message", pk=message.pk)
    context = {
        "message": message,
        "thread": selectors.contact_thread(message),
        "client": selectors.contact_client(message),
        "form": form if form.is_bound else ReplyForm(initial={"close": True}),
        **item_header(message, opened=message.created_at, sla=CONTACT_SLA),
    }
    return render(
        request,
        "backoffice/support/message.html",
        context,
        status=400 if form.is_bound and not form.is_valid() else 200,
    )


@console_view
def ratings_queue(request: HttpRequest) -> HttpResponse:
    reported = list(selectors.reported_ratings()[:200])
    rows = queue_rows(reported, opened=lambda r: r.first_report_at, sla=RATING_SLA)  # type: ignore[attr-defined]
    hidden = list(selectors.hidden_ratings()[:50])
    return render(request, "backoffice/support/ratings.html", {"rows": rows, "hidden": hidden})


@console_view
@require_http_methods(["GET", "POST"])
@back_on_domain_error("backoffice:support_rating")
def rating_detail(request: HttpRequest, pk: int) -> HttpResponse:
    rating = get_object_or_404(
        Rating.objects.select_related("listing", "listing__platform", "consultation"), pk=pk
    )
    if request.method == "POST":
        action, staff, ip = request.POST.get("action", ""), _staff(request), staff_ip(request)
        reason = request.POST.get("reason", "")
        done = claim_from_post(request, rating)
        decisions = {"hide": rating_hide, "keep": rating_keep, "restore": rating_restore}
        if action in decisions:
            decisions[action](actor=staff, rating=rating, reason=reason, ip=ip)
            messages.success(request, _("Gespeichert."))
            done = True
        if done:
            return redirect("backoffice:support_rating", pk=rating.pk)
    reports = list(selectors.reports_of(rating))
    opened = selectors.first_open_report_at(rating) or rating.created_at
    context = {
        "rating": rating,
        "reports": reports,
        "open_reports": [r for r in reports if r.resolved_at is None],
        **item_header(rating, opened=opened, sla=RATING_SLA),
    }
    return render(request, "backoffice/support/rating.html", context)
