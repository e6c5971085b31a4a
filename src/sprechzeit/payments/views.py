"""Client pages: balance and history, top-up, result; the sandbox's hosted TEST MODE
checkout; the provider webhooks. Thin: parse, call one service, render."""

from __future__ import annotations

import uuid
from datetime import timedelta
from functools import wraps
from typing import Any, Final

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from sprechzeit.accounts.models import ClientAccount
from sprechzeit.core import clock
from sprechzeit.core.errors import DomainError
from sprechzeit.core.http import back_on_domain_error
from sprechzeit.core.inputs import amount_parse
from sprechzeit.core.money import Money
from sprechzeit.payments import selectors
from sprechzeit.payments.errors import InvalidSignature, MalformedEvent, ProviderNotConfigured
from sprechzeit.payments.models import (
    Channel,
    ChannelPolicy,
    Payment,
    PaymentStatus,
    ProviderConfig,
    ProviderKind,
)
from sprechzeit.payments.providers.saved import SANDBOX_CARD, SANDBOX_DECLINING_CARD
from sprechzeit.payments.saved_models import MethodCharge, MethodSetup, SavedMethod
from sprechzeit.payments.services import inbox, payments, refunds
from sprechzeit.payments.services.references import format_reference, transfer_reference_for
from sprechzeit.payments.services.sandbox import sandbox_card_choose, sandbox_deliver
from sprechzeit.platforms.http import PlatformRequest
from sprechzeit.wallets import services as wallets

# The lengths of a self-exclusion the wallet page offers, in days.
SELF_EXCLUSION_DAYS: Final = frozenset({1, 7, 30, 90, 365})


def client_required(view: Any) -> Any:
    """Only a logged-in client of this platform; others go to the login page."""

    @wraps(view)
    def wrapper(request: PlatformRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        account = client_of(request)
        if account is None:
            return redirect_to_login(request.get_full_path(), reverse("site:login"))
        response: HttpResponse = view(request, account, *args, **kwargs)
        return response

    return wrapper


def client_of(request: PlatformRequest) -> ClientAccount | None:
    platform = request.platform
    user = request.user
    if platform is None or not user.is_authenticated:
        return None
    return (
        ClientAccount.objects.filter(user=user, platform=platform)
        .select_related("platform__legal_entity", "user")
        .first()
    )


def _amount(raw: str, account: ClientAccount, field: str) -> Money:
    """The amount a client typed (core.inputs.amount_parse: InvalidInput, a 400, else)."""
    return amount_parse(
        raw,
        currency=account.platform.currency,
        field=field,
        message=_("Bitte geben Sie einen gültigen Betrag ein."),
    )


def checkout_urls(request: HttpRequest, config: ProviderConfig) -> dict[str, str]:
    result = request.build_absolute_uri(
        reverse("payments:result", args=["00000000-0000-0000-0000-000000000000"])
    )
    return {
        "return_url": result.replace("00000000-0000-0000-0000-000000000000", "{id}"),
        "cancel_url": result.replace("00000000-0000-0000-0000-000000000000", "{id}")
        + "?abgebrochen=1",
        "webhook_url": request.build_absolute_uri(reverse("payments:webhook", args=[config.pk])),
    }


def _bank_details(account: ClientAccount) -> dict[str, str] | None:
    if not ChannelPolicy.objects.filter(
        platform=account.platform, channel=Channel.BANK_TRANSFER, enabled=True
    ).exists():
        return None
    entity = account.platform.legal_entity
    return {
        "holder": entity.name,
        "iban": entity.iban,
        "bic": entity.bic,
        "reference": format_reference(transfer_reference_for(client_account=account)),
    }


@client_required
def wallet_page(request: HttpRequest, account: ClientAccount) -> HttpResponse:
    balance = wallets.wallet_balance(client_account=account)
    limit = wallets.wallet_deposit_limit(client_account=account)
    refundable = selectors.refundable_now(account)
    return render(
        request,
        "payments/wallet.html",
        {
            "balance": balance,
            "payments": selectors.payment_rows(account),
            "limit": limit,
            "state": account.wallet_state,
            "refundable": refundable,
            "refundable_text": f"{refundable.amount:.2f}".replace(".", ","),
            "refund_requests": selectors.refund_requests_of(account)[:10],
        },
    )


@client_required
def topup_page(request: HttpRequest, account: ClientAccount) -> HttpResponse:
    channels = [
        c
        for c in selectors.channels_for(client_account=account)
        if c.channel != Channel.BANK_TRANSFER
    ]
    error = ""
    if request.method == "POST":
        policy = next((c for c in channels if str(c.pk) == request.POST.get("channel")), None)
        if policy is None:
            error = _("Bitte wählen Sie eine Zahlart.")
        else:
            try:
                payment = payments.payment_start(
                    client_account=account,
                    policy=policy,
                    amount=_amount(request.POST.get("amount", ""), account, "amount"),
                    **checkout_urls(request, policy.provider_config),
                )
            except DomainError as exc:
                error = str(exc.message)
            else:
                return HttpResponseRedirect(payment.redirect_url)
    return render(
        request,
        "payments/topup.html",
        {
            "channels": [
                (
                    c,
                    [Money(int(p), account.platform.currency) for p in c.presets],
                    Money(c.min_minor, account.platform.currency),
                    Money(c.max_minor, account.platform.currency),
                )
                for c in channels
            ],
            "bank": _bank_details(account),
            "saved_methods": SavedMethod.objects.filter(
                client_account=account, removed_at__isnull=True
            ).order_by("created_at"),
            "error": error,
            "balance": wallets.wallet_balance(client_account=account),
        },
        status=400 if error else 200,
    )


@client_required
def result_page(
    request: HttpRequest, account: ClientAccount, payment_id: uuid.UUID
) -> HttpResponse:
    payment = selectors.payment_of(account, payment_id=payment_id)
    if payment is None:
        raise Http404(_("Diese Zahlung gibt es nicht."))
    if (
        payment.status == PaymentStatus.CREATED
        and request.GET
        and not request.GET.get("abgebrochen")
    ):
        # The payer came back: providers that capture on return (PayPal) do it now.
        try:
            payments.payment_returned(
                payment=payment, params={key: str(value) for key, value in request.GET.items()}
            )
        except DomainError as exc:
            messages.error(request, str(exc.message))
        payment.refresh_from_db()
    return render(
        request,
        "payments/result.html",
        {
            "payment": payment,
            "balance": wallets.wallet_balance(client_account=account),
            "charge": MethodCharge.objects.select_related("method").filter(payment=payment).first(),
        },
    )


@client_required
def receipt_download(
    request: HttpRequest, account: ClientAccount, payment_id: uuid.UUID
) -> HttpResponse:
    """The PDF receipt of the client's own credited top-up (others': not found)."""
    from sprechzeit.payments.receipts import receipt_filename, receipt_pdf  # noqa: PLC0415

    payment = selectors.payment_of(account, payment_id=payment_id)
    if payment is None or payment.credited_at is None:
        raise Http404(_("Für diese Zahlung gibt es keinen Beleg."))
    response = HttpResponse(receipt_pdf(payment), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{receipt_filename(payment)}"'
    response["Cache-Control"] = "private, no-store"
    return response


@require_POST
@client_required
@back_on_domain_error("payments:wallet")
def deposit_limit(request: HttpRequest, account: ClientAccount) -> HttpResponse:
    raw = request.POST.get("limit", "").strip()
    limit = None if raw == "" else _amount(raw, account, "limit")
    result = wallets.wallet_set_deposit_limit(client_account=account, limit=limit)
    if result.pending_from is not None:
        messages.info(request, _("Das höhere Limit gilt nach der Wartezeit."))
    else:
        messages.success(request, _("Das Limit gilt ab sofort."))
    return redirect("payments:wallet")


@require_POST
@client_required
@back_on_domain_error("payments:wallet")
def self_exclude(request: HttpRequest, account: ClientAccount) -> HttpResponse:
    raw = request.POST.get("days", "").strip()
    if raw not in {str(days) for days in SELF_EXCLUSION_DAYS}:  # never int("²")
        messages.error(request, _("Die Selbstsperre konnte nicht gesetzt werden."))
        return redirect("payments:wallet")
    wallets.wallet_self_exclude(
        client_account=account, until=clock.now() + timedelta(days=int(raw))
    )
    messages.success(request, _("Ihre Selbstsperre ist aktiv."))
    return redirect("payments:wallet")


@require_POST
@client_required
@back_on_domain_error("payments:wallet")
def refund_request(request: HttpRequest, account: ClientAccount) -> HttpResponse:
    """The client asks for an amount of the refundable balance (empty: all of it)."""
    raw = request.POST.get("amount", "").strip()
    amount = _amount(raw, account, "amount") if raw else None
    refunds.refund_request_create(client_account=account, amount=amount)
    messages.success(request, _("Ihr Erstattungsantrag wurde an unser Team übermittelt."))
    return redirect("payments:wallet")


# --- sandbox: the hosted TEST MODE checkout -----------------------------------------------

_SANDBOX_OUTCOMES = {
    "success": "payment.succeeded",
    "failure": "payment.failed",
    "pending": "payment.pending",
    "settle": "payment.succeeded",
}


def sandbox_checkout(request: PlatformRequest, payment_id: uuid.UUID) -> HttpResponse:
    payment = get_object_or_404(
        Payment.objects.select_related("provider_config", "client_account__user"),
        pk=payment_id,
        provider_config__kind=ProviderKind.SANDBOX,
    )
    account = client_of(request)
    if account is None or account.pk != payment.client_account_id:
        raise Http404(_("Diese Zahlung gibt es nicht."))
    if request.method == "POST":
        outcome = request.POST.get("outcome", "")
        event_type = _SANDBOX_OUTCOMES.get(outcome)
        if event_type is None:
            return render(
                request, "payments/sandbox_checkout.html", {"payment": payment}, status=400
            )
        sandbox_deliver(payment=payment, event_type=event_type)
        return redirect("payments:result", payment_id=payment.pk)
    return render(request, "payments/sandbox_checkout.html", {"payment": payment})


@client_required
def sandbox_card(request: HttpRequest, account: ClientAccount, setup_id: uuid.UUID) -> HttpResponse:
    """The sandbox's page for saving a method (Stripe's hosted page in the demo): the
    client picks the test card that is charged or the one the "bank" declines."""
    setup = (
        MethodSetup.objects.select_related("provider_config")
        .filter(pk=setup_id, client_account=account, provider_config__kind=ProviderKind.SANDBOX)
        .first()
    )
    if setup is None:
        raise Http404
    if request.method == "POST":
        card = request.POST.get("karte", "")
        if card not in (SANDBOX_CARD, SANDBOX_DECLINING_CARD):
            return render(request, "payments/sandbox_card.html", {"setup": setup}, status=400)
        sandbox_card_choose(setup=setup, card=card)
        return redirect("payments:method_done", setup_id=setup.pk)
    return render(request, "payments/sandbox_card.html", {"setup": setup})


# --- webhooks --------------------------------------------------------------------------


@csrf_exempt
@require_POST
def webhook(request: HttpRequest, config_id: int) -> HttpResponse:
    """Provider notifications. 400 for a bad signature or unreadable body; 200 for every
    authentic event, applied or stored for review; 500 only for our own failures, so
    the provider retries."""
    config = (
        ProviderConfig.objects.filter(pk=config_id, is_active=True)
        .select_related("platform")
        .first()
    )
    if config is None:
        return JsonResponse({"code": "unknown_configuration"}, status=404)
    try:
        outcome = inbox.inbox_receive(config=config, body=request.body, headers=request.headers)
    except (InvalidSignature, MalformedEvent) as exc:
        return JsonResponse({"code": exc.code, "message": str(exc.message)}, status=400)
    except ProviderNotConfigured as exc:
        return JsonResponse({"code": exc.code}, status=503)
    return JsonResponse(
        {"status": outcome.status, "duplicate": outcome.duplicate},
        status=500 if outcome.status == "failed" else 200,
    )
