"""The client's saved payment methods: list, save one (the provider's hosted page), top
up with one click, remove, and the automatic top-up. Thin: parse, call one service
(`services.saved`), redirect back to the page with a message."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from sprechzeit.accounts.models import ClientAccount
from sprechzeit.core import clock
from sprechzeit.core.http import back_on_domain_error
from sprechzeit.core.inputs import amount_parse
from sprechzeit.core.money import Money
from sprechzeit.payments.models import ChannelPolicy
from sprechzeit.payments.providers.saved import NEEDS_FIRST_PAYMENT, SAVABLE
from sprechzeit.payments.saved_models import AutoTopUp, MethodSetup, SavedMethod
from sprechzeit.payments.selectors import channels_for
from sprechzeit.payments.services import saved
from sprechzeit.payments.views import checkout_urls, client_required

PAGE = "payments:methods"


def _amount(raw: str, account: ClientAccount, field: str) -> Money:
    return amount_parse(
        raw,
        currency=account.platform.currency,
        field=field,
        message=_("Bitte geben Sie einen gültigen Betrag ein."),
    )


def _methods(account: ClientAccount) -> list[SavedMethod]:
    return list(
        SavedMethod.objects.filter(client_account=account, removed_at__isnull=True).order_by(
            "created_at"
        )
    )


def _method_of(account: ClientAccount, method_id: int) -> SavedMethod:
    method = (
        SavedMethod.objects.select_related("provider_config", "client_account__platform")
        .filter(pk=method_id, client_account=account, removed_at__isnull=True)
        .first()
    )
    if method is None:
        raise Http404
    return method


def _savable(account: ClientAccount) -> list[ChannelPolicy]:
    return [p for p in channels_for(client_account=account) if p.provider_config.kind in SAVABLE]


def _typed(minor: int) -> str:
    """An amount as a person types it in the form ("12,50")."""
    return f"{minor // 100},{minor % 100:02d}"


@client_required
def methods_page(request: HttpRequest, account: ClientAccount) -> HttpResponse:
    rule = AutoTopUp.objects.filter(client_account=account).first()
    return render(
        request,
        "payments/methods.html",
        {
            "methods": _methods(account),
            "savable": [
                (p, p.provider_config.kind in NEEDS_FIRST_PAYMENT) for p in _savable(account)
            ],
            "rule": rule,
            # What the monthly cap has left: a top-up beyond it does not happen.
            "auto_used": saved.auto_charged_this_month(client_account=account, now=clock.now()),
            "currency": account.platform.currency,
            "values": {
                "threshold": _typed(rule.threshold_minor if rule else 500),
                "amount": _typed(rule.amount_minor if rule else 2000),
                "cap": _typed(rule.monthly_cap_minor if rule else 10000),
            },
        },
    )


@require_POST
@client_required
@back_on_domain_error(PAGE)
def method_add(request: HttpRequest, account: ClientAccount) -> HttpResponse:
    policy = next((p for p in _savable(account) if str(p.pk) == request.POST.get("kanal")), None)
    if policy is None:
        raise Http404
    first = None
    if policy.provider_config.kind in NEEDS_FIRST_PAYMENT:
        first = _amount(request.POST.get("betrag", ""), account, "betrag")
    urls = checkout_urls(request, policy.provider_config)
    done = request.build_absolute_uri(reverse("payments:method_done", args=[uuid.UUID(int=0)]))
    _setup, redirect_url = saved.method_setup_start(
        client_account=account,
        policy=policy,
        first_amount=first,
        return_url=done.replace(str(uuid.UUID(int=0)), "{id}"),
        cancel_url=request.build_absolute_uri(reverse(PAGE)),
        webhook_url=urls["webhook_url"],
    )
    return redirect(redirect_url)


@client_required
@back_on_domain_error(PAGE)
def method_done(request: HttpRequest, account: ClientAccount, setup_id: uuid.UUID) -> HttpResponse:
    setup = (
        MethodSetup.objects.select_related("provider_config")
        .filter(pk=setup_id, client_account=account)
        .first()
    )
    if setup is None:
        raise Http404
    method = saved.method_setup_finish(setup=setup)
    if method is None:
        messages.info(
            request,
            _(
                "Der Anbieter hat das Zahlungsmittel noch nicht bestätigt. Bitte laden Sie die Seite gleich neu."
            ),
        )
    else:
        messages.success(request, _("%(label)s ist gespeichert.") % {"label": method.label})
    return redirect(PAGE)


@client_required
@back_on_domain_error(PAGE)
def method_charge(request: HttpRequest, account: ClientAccount, method_id: int) -> HttpResponse:
    method = _method_of(account, method_id)  # another client's: 404, whatever the method
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    amount = _amount(request.POST.get("betrag", ""), account, "betrag")
    urls = checkout_urls(request, method.provider_config)
    payment = saved.method_charge(method=method, amount=amount, webhook_url=urls["webhook_url"])
    return redirect("payments:result", payment_id=payment.pk)


@client_required
@back_on_domain_error(PAGE)
def method_delete(request: HttpRequest, account: ClientAccount, method_id: int) -> HttpResponse:
    method = _method_of(account, method_id)  # another client's: 404, whatever the method
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    saved.method_remove(client_account=account, method=method)
    messages.success(request, _("Das Zahlungsmittel ist gelöscht."))
    return redirect(PAGE)


@require_POST
@client_required
@back_on_domain_error(PAGE)
def auto_topup(request: HttpRequest, account: ClientAccount) -> HttpResponse:
    if request.POST.get("aus") == "1":
        AutoTopUp.objects.filter(client_account=account).update(enabled=False)
        messages.success(request, _("Die automatische Aufladung ist ausgeschaltet."))
        return redirect(PAGE)
    raw_method = request.POST.get("zahlungsmittel", "")
    method = _method_of(account, int(raw_method) if raw_method.isdigit() else 0)
    amounts: dict[str, Money] = {
        name: _amount(request.POST.get(name, ""), account, name)
        for name in ("schwelle", "betrag", "monatsgrenze")
    }
    saved.auto_topup_set(
        client_account=account,
        method=method,
        threshold=amounts["schwelle"],
        amount=amounts["betrag"],
        monthly_cap=amounts["monatsgrenze"],
    )
    messages.success(request, _("Die automatische Aufladung ist gespeichert."))
    return redirect(PAGE)
