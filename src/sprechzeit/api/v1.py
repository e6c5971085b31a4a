"""API v1: the client's wallet, top-ups and payments (`/api/v1/...`). Thin: read the
typed request, call one service or selector, answer the typed response."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Status

from sprechzeit.accounts.models import ClientAccount
from sprechzeit.api import schemas
from sprechzeit.core.money import Money
from sprechzeit.payments import selectors
from sprechzeit.payments.errors import ChannelUnavailable
from sprechzeit.payments.models import Channel, ChannelPolicy, Payment, PaymentStatus
from sprechzeit.payments.services import payments
from sprechzeit.payments.services.references import format_reference, transfer_reference_for
from sprechzeit.payments.views import checkout_urls
from sprechzeit.wallets import services as wallets

router = Router(tags=["wallet"])

# What the door in handlers.py may answer besides success; documented so that the schema
# names every status the API gives.
_READ_ERRORS = dict.fromkeys((401,), schemas.Error)
_WRITE_ERRORS = dict.fromkeys((400, 401, 403, 409, 413, 415, 503), schemas.Error)
PAYMENTS_LISTED = 100


def _client(request: HttpRequest) -> ClientAccount:
    account = getattr(request, "auth", None)  # set by auth.ClientSession
    assert isinstance(account, ClientAccount)
    return account


def _money(value: Money) -> schemas.Money:
    return schemas.Money(amount_minor=value.minor, currency=value.currency)


def _payment(payment: Payment) -> schemas.Payment:
    return schemas.Payment(
        id=payment.pk,
        channel=Channel(payment.channel),
        amount=_money(payment.amount),
        status=PaymentStatus(payment.status),
        credited=payment.credited_at is not None,
        refunded=_money(Money(int(payment.refunded_minor), payment.currency)),
        charged_back=_money(Money(int(payment.charged_back_minor), payment.currency)),
        created_at=payment.created_at,
    )


@router.get(
    "/wallet",
    response={200: schemas.Wallet, **_READ_ERRORS},
    url_name="wallet",
    summary="The client's balance, limits and available payment channels",
)
def wallet(request: HttpRequest) -> schemas.Wallet:
    account = _client(request)
    balance = wallets.wallet_balance(client_account=account)
    limit = wallets.wallet_deposit_limit(client_account=account)
    currency = account.platform.currency
    return schemas.Wallet(
        total=_money(balance.total),
        paid=_money(balance.paid),
        bonus=_money(balance.bonus),
        pending=_money(balance.pending),
        available=_money(balance.available),
        receivable=_money(balance.receivable),
        blocked=account.wallet_state.blocked_at is not None,
        deposit_limit=None if limit is None else _money(limit),
        channels=[
            schemas.ChannelOption(
                id=policy.pk,
                channel=Channel(policy.channel),
                label=str(policy),
                min=_money(Money(policy.min_minor, currency)),
                max=_money(Money(policy.max_minor, currency)),
                presets=[int(p) for p in policy.presets],
            )
            for policy in selectors.channels_for(client_account=account)
        ],
    )


@router.post(
    "/wallet/topups",
    response={201: schemas.TopupRedirect, 200: schemas.TopupBankTransfer, **_WRITE_ERRORS},
    url_name="topups",
    summary="Start a top-up; answers where to pay",
    description=(
        "201 with `redirect_url` for a checkout at a payment provider; 200 with the bank "
        "details for a bank transfer (nothing is created then)."
    ),
)
def topups(
    request: HttpRequest, payload: schemas.TopupRequest
) -> Status[schemas.TopupRedirect | schemas.TopupBankTransfer]:
    account = _client(request)
    amount = Money(payload.amount_minor, payload.currency or account.platform.currency)
    policies = ChannelPolicy.objects.filter(platform=account.platform, enabled=True)
    policy = (
        policies.filter(pk=payload.channel_id).first()
        if payload.channel_id is not None
        else policies.filter(channel=payload.channel).first()
    )
    if policy is None:
        raise ChannelUnavailable(channel=payload.channel_id or payload.channel)
    if policy.channel == Channel.BANK_TRANSFER:
        entity = account.platform.legal_entity
        return Status(
            200,
            schemas.TopupBankTransfer(
                kind="bank_transfer",
                iban=entity.iban,
                bic=entity.bic,
                holder=entity.name,
                reference=format_reference(transfer_reference_for(client_account=account)),
                amount=_money(amount),
            ),
        )
    payment = payments.payment_start(
        client_account=account,
        policy=policy,
        amount=amount,
        **checkout_urls(request, policy.provider_config),
    )
    return Status(
        201,
        schemas.TopupRedirect(
            **_payment(payment).model_dump(),
            kind="redirect",
            redirect_url=request.build_absolute_uri(payment.redirect_url),
        ),
    )


@router.get(
    "/wallet/payments",
    response={200: schemas.PaymentList, **_READ_ERRORS},
    url_name="payments",
    summary="The client's payments, newest first",
)
def payment_list(request: HttpRequest) -> schemas.PaymentList:
    account = _client(request)
    return schemas.PaymentList(
        payments=[_payment(p) for p in selectors.payments_of(account)[:PAYMENTS_LISTED]]
    )
