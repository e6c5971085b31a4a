"""The client file: finding a client, the file itself, the staff actions on it, chat
transcripts (support and admin; every read audited), and the goodwill queue."""

from __future__ import annotations

import uuid
from datetime import datetime, time

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from sprechzeit.accounts.models import ClientAccount, User
from sprechzeit.audit.selectors import history_for
from sprechzeit.backoffice.http import console_view, staff_ip
from sprechzeit.backoffice.nav import allowed
from sprechzeit.backoffice.support.forms import GoodwillForm, SearchForm
from sprechzeit.backoffice.support.queues import GOODWILL_SLA, queue_rows
from sprechzeit.consultations.models import Consultation
from sprechzeit.core.http import back_on_domain_error
from sprechzeit.core.inputs import InvalidInput, amount_parse
from sprechzeit.core.money import Money
from sprechzeit.platforms.models import Platform
from sprechzeit.support import selectors
from sprechzeit.support import services as support
from sprechzeit.support.models import GoodwillCredit

ACTION_URLS = ("support_client_action", "support_client_unblock", "support_client_close")


def _staff(request: HttpRequest) -> User:
    assert isinstance(request.user, User)  # console_view let only staff in
    return request.user


def _account(pk: int) -> ClientAccount:
    return get_object_or_404(ClientAccount.objects.select_related("user", "platform"), pk=pk)


@console_view
def clients_search(request: HttpRequest) -> HttpResponse:
    platforms = list(Platform.objects.order_by("name"))
    form = SearchForm(request.GET or None)
    found: list[ClientAccount] | None = None
    if form.is_valid():
        platform = next((p for p in platforms if p.pk == form.cleaned_data["platform"]), None)
        found = (
            selectors.clients_find(platform=platform, query=form.cleaned_data["q"])
            if platform is not None
            else []
        )
    return render(
        request,
        "backoffice/support/clients.html",
        {"form": form, "platforms": platforms, "found": found},
    )


@console_view
def client_detail(request: HttpRequest, pk: int) -> HttpResponse:
    account = _account(pk)
    may = {name: allowed(request, f"backoffice:{name}") for name in ACTION_URLS}
    may["transcripts"] = allowed(request, "backoffice:support_client_transcript")
    may["messages"] = allowed(request, "backoffice:support_message")
    return render(
        request,
        "backoffice/support/client.html",
        {
            "file": selectors.client_file(account),
            "may": may,
            "goodwill_form": GoodwillForm(),
            "history": list(history_for(account)[:50]),
        },
    )


def _until(raw: str) -> datetime:
    """The end of the day typed (YYYY-MM-DD) in the console's time zone."""
    day = parse_date(raw.strip()) if raw.strip() else None
    if day is None:
        raise InvalidInput(_("Bitte ein Datum im Format JJJJ-MM-TT angeben."), field="until")
    return datetime.combine(day, time.max, tzinfo=timezone.get_current_timezone())


def _money(raw: str, account: ClientAccount, field: str) -> Money:
    return amount_parse(raw, currency=account.platform.currency, field=field)


@console_view
@require_POST
@back_on_domain_error("backoffice:support_client")
def client_action(request: HttpRequest, pk: int) -> HttpResponse:
    """One staff action on the file (the services check each action's roles)."""
    account, staff, ip = _account(pk), _staff(request), staff_ip(request)
    post = request.POST
    action, reason = post.get("action", ""), post.get("reason", "")
    if action == "note":
        support.staff_note_add(
            actor=staff, client_account=account, text=post.get("text", ""), ip=ip
        )
    elif action == "block":
        support.staff_client_block(actor=staff, client_account=account, reason=reason, ip=ip)
    elif action == "pin_unlock":
        support.staff_pin_unlock(actor=staff, client_account=account, ip=ip)
    elif action == "deposit_limit":
        raw = post.get("limit", "").strip()
        limit = _money(raw, account, "limit") if raw else None
        support.staff_deposit_limit(
            actor=staff, client_account=account, limit=limit, reason=reason, ip=ip
        )
    elif action == "exclusion":
        support.staff_exclusion_extend(
            actor=staff,
            client_account=account,
            until=_until(post.get("until", "")),
            reason=reason,
            ip=ip,
        )
    elif action == "refund":
        raw = post.get("amount", "").strip()
        amount = _money(raw, account, "amount") if raw else None
        support.staff_refund_request(
            actor=staff, client_account=account, amount=amount, reason=reason, ip=ip
        )
    elif action == "goodwill":
        form = GoodwillForm(post)
        if not form.is_valid():
            raise InvalidInput(_("Bitte Art, Betrag und Begründung angeben."), field="goodwill")
        credit = support.goodwill_request(
            actor=staff,
            client_account=account,
            amount=_money(form.cleaned_data["amount"], account, "amount"),
            kind=GoodwillCredit.Kind(form.cleaned_data["kind"]),
            reason=form.cleaned_data["reason"],
            ip=ip,
        )
        if credit.status == GoodwillCredit.Status.PENDING:
            messages.warning(
                request,
                _(
                    "Der Betrag übersteigt Ihr Freigabelimit: die Gutschrift wartet auf eine zweite Freigabe."
                ),
            )
            return redirect("backoffice:support_client", pk=account.pk)
    else:
        raise InvalidInput(_("Unbekannte Aktion."), field="action")
    messages.success(request, _("Gespeichert."))
    return redirect("backoffice:support_client", pk=account.pk)


@console_view
@require_POST
@back_on_domain_error("backoffice:support_client")
def client_unblock(request: HttpRequest, pk: int) -> HttpResponse:
    account = _account(pk)
    support.staff_client_unblock(
        actor=_staff(request),
        client_account=account,
        reason=request.POST.get("reason", ""),
        ip=staff_ip(request),
    )
    messages.success(request, _("Sperre aufgehoben."))
    return redirect("backoffice:support_client", pk=account.pk)


@console_view
@require_POST
@back_on_domain_error("backoffice:support_client")
def client_close(request: HttpRequest, pk: int) -> HttpResponse:
    account = _account(pk)
    closure = support.staff_client_close(
        actor=_staff(request),
        client_account=account,
        reason=request.POST.get("reason", ""),
        ip=staff_ip(request),
    )
    messages.success(
        request,
        _("Konto geschlossen; ein Erstattungsantrag wartet auf Prüfung.")
        if closure.refund_request is not None
        else _("Konto geschlossen."),
    )
    return redirect("backoffice:support_client", pk=account.pk)


@console_view
def client_transcript(request: HttpRequest, pk: int, consultation_id: uuid.UUID) -> HttpResponse:
    account = _account(pk)
    consultation = get_object_or_404(
        Consultation.objects.select_related("listing"), pk=consultation_id, client=account
    )
    lines = support.transcript_read(
        actor=_staff(request), consultation=consultation, ip=staff_ip(request)
    )
    return render(
        request,
        "backoffice/support/transcript.html",
        {"account": account, "consultation": consultation, "lines": lines},
    )


@console_view
def goodwill_queue(request: HttpRequest) -> HttpResponse:
    pending = list(selectors.goodwill_pending()[:200])
    rows = queue_rows(pending, opened=lambda c: c.requested_at, sla=GOODWILL_SLA)
    return render(request, "backoffice/support/goodwill.html", {"rows": rows})


@console_view
@require_POST
@back_on_domain_error("backoffice:support_goodwill")
def goodwill_decide(request: HttpRequest, pk: uuid.UUID) -> HttpResponse:
    credit = get_object_or_404(GoodwillCredit.objects.select_related("client_account"), pk=pk)
    staff, ip, note = _staff(request), staff_ip(request), request.POST.get("note", "")
    if request.POST.get("action") == "approve":
        support.goodwill_approve(actor=staff, credit=credit, note=note, ip=ip)
        messages.success(request, _("Freigegeben und gebucht."))
    else:
        support.goodwill_reject(actor=staff, credit=credit, note=note, ip=ip)
        messages.success(request, _("Abgelehnt."))
    return redirect("backoffice:support_goodwill")
