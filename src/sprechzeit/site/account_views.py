"""The client's account pages: overview, phone PIN, data export, closing the account."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from sprechzeit.accounts.errors import InvalidPin
from sprechzeit.accounts.models import ClientAccount, User
from sprechzeit.accounts.services import client_set_pin
from sprechzeit.core import clock
from sprechzeit.core.errors import DomainError
from sprechzeit.core.net import client_address
from sprechzeit.legal.errors import WithdrawalWaiverMissing
from sprechzeit.legal.selectors import withdrawal_waiver_of
from sprechzeit.legal.services import withdrawal_waiver_ensure
from sprechzeit.site.account import client_account_close, client_data_export
from sprechzeit.site.forms import CloseAccountForm, PinForm
from sprechzeit.wallets.services import wallet_balance

ClientView = Callable[[HttpRequest, ClientAccount], HttpResponse]


def client_required(view: ClientView) -> Callable[[HttpRequest], HttpResponse]:
    @wraps(view)
    def wrapper(request: HttpRequest) -> HttpResponse:
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path(), reverse("site:login"))
        if not isinstance(user, User) or user.kind != User.Kind.CLIENT:
            raise PermissionDenied
        account = ClientAccount.objects.select_related("user", "platform").get(user=user)
        return view(request, account)

    return wrapper


@client_required
def account_page(request: HttpRequest, account: ClientAccount) -> HttpResponse:
    return render(
        request,
        "site/account.html",
        {
            "account": account,
            "balance": wallet_balance(client_account=account),
            "pin_form": PinForm(initial={"phone_number": account.phone_number}),
            "waiver": withdrawal_waiver_of(user=account.user),
        },
    )


@require_POST
@client_required
def account_waiver(request: HttpRequest, account: ClientAccount) -> HttpResponse:
    """The § 356 BGB request given on the account page: phone consultations (which cannot
    show the start confirmation) need it before the first call; chats ask on their own."""
    try:
        withdrawal_waiver_ensure(
            user=account.user,
            platform=account.platform,
            given=request.POST.get("withdrawal_waiver") == "on",
            ip=client_address(request),
        )
    except WithdrawalWaiverMissing as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("Ihre Bestätigung ist gespeichert."))
    return redirect("site:account")


@client_required
def account_pin(request: HttpRequest, account: ClientAccount) -> HttpResponse:
    form = PinForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        was_locked = account.phone_pin_locked_at is not None
        try:
            client_set_pin(account=account, pin=form.cleaned_data["pin"])
        except InvalidPin as exc:
            form.add_error("pin", str(exc.message))
        else:
            account.phone_number = form.cleaned_data["phone_number"]
            account.save(update_fields=["phone_number"])
            messages.success(request, _("Ihre Telefon-PIN ist gespeichert."))
            if was_locked:
                messages.success(request, _("Ihr Telefonzugang ist wieder freigegeben."))
            return redirect("site:account")
    return render(
        request,
        "site/account.html",
        {
            "account": account,
            "balance": wallet_balance(client_account=account),
            "pin_form": form,
            "waiver": withdrawal_waiver_of(user=account.user),
        },
        status=200 if request.method == "GET" else 400,
    )


@client_required
def account_export(request: HttpRequest, account: ClientAccount) -> HttpResponse:
    data = client_data_export(account=account)
    response = HttpResponse(
        json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2),
        content_type="application/json; charset=utf-8",
    )
    stamp = clock.now().strftime("%Y%m%d")
    response["Content-Disposition"] = (
        f'attachment; filename="sprechzeit-daten-{account.customer_number}-{stamp}.json"'
    )
    return response


@client_required
def account_close(request: HttpRequest, account: ClientAccount) -> HttpResponse:
    form = CloseAccountForm(request.POST or None, user=account.user)
    if request.method == "POST" and form.is_valid():
        try:
            closure = client_account_close(account=account)
        except DomainError as exc:
            form.add_error(
                None,
                _("Bitte beenden Sie zuerst Ihr laufendes Gespräch.")
                if exc.code == "consultation_still_open"
                else str(exc.message),
            )
        else:
            logout(request)
            text = (
                _(
                    "Ihr Konto ist geschlossen. Ihr Erstattungsantrag über das unverbrauchte Guthaben ist bei uns eingegangen; wir überweisen es auf dem Weg Ihrer Einzahlungen zurück."
                )
                if closure.refund_request is not None
                else _("Ihr Konto ist geschlossen.")
            )
            return render(
                request, "site/message.html", {"title": _("Auf Wiedersehen"), "text": text}
            )
    return render(
        request,
        "site/account_close.html",
        {"form": form, "balance": wallet_balance(client_account=account)},
    )
