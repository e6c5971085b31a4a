"""Payment reads. Tenant-owned reads take the platform (or its client) first."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Final

from django.db.models import Q, QuerySet, Sum
from django.utils import timezone

from sprechzeit.accounts.models import ClientAccount
from sprechzeit.core import clock
from sprechzeit.core.money import Money
from sprechzeit.ledger import services as ledger
from sprechzeit.ledger.models import Account, AccountPurpose
from sprechzeit.payments.models import (
    ChannelPolicy,
    Payment,
    PaymentStatus,
    ProviderConfig,
    ProviderKind,
)
from sprechzeit.payments.providers.base import PaymentUpdate
from sprechzeit.wallets import services as wallets

OWNER_CONFIG: Final = "payments.providerconfig"
# An open checkout counts against the deposit limit for this long.
OPEN_CHECKOUT_COUNTS: Final = timedelta(hours=1)


def payments_of(client_account: ClientAccount) -> QuerySet[Payment]:
    return Payment.objects.filter(client_account=client_account).order_by("-created_at")


def payment_of(client_account: ClientAccount, *, payment_id: uuid.UUID | str) -> Payment | None:
    return payments_of(client_account).filter(pk=payment_id).first()


def clearing_account(config: ProviderConfig) -> Account:
    """What the provider owes the operator (a bank account for bank transfers); the
    ledger account is created on first use."""
    purpose = (
        AccountPurpose.BANK
        if config.kind == ProviderKind.BANK_TRANSFER
        else AccountPurpose.PROVIDER_CLEARING
    )
    return ledger.account_get_or_create(
        purpose=purpose,
        currency=config.platform.currency,
        owner_type=OWNER_CONFIG,
        owner_id=str(config.pk),
        name=str(config),
    )


def channels_for(*, client_account: ClientAccount) -> list[ChannelPolicy]:
    """The enabled channels this client may use now (trusted-only channels after a
    first successful payment)."""
    trusted = wallets.wallet_is_trusted(client_account=client_account)
    return [
        policy
        for policy in ChannelPolicy.objects.filter(
            platform=client_account.platform, enabled=True, provider_config__is_active=True
        ).select_related("provider_config")
        if trusted or not policy.requires_trusted
    ]


def deposited_this_month(*, client_account: ClientAccount) -> Money:
    """Top-ups of this calendar month (operator's time zone) that succeeded, are under
    way, or were started in the last hour (an open checkout may still be paid); they
    count against the deposit limit."""
    now = clock.now()
    start = timezone.localtime(now).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    total = (
        Payment.objects.filter(client_account=client_account, created_at__gte=start)
        .filter(
            Q(status__in=[PaymentStatus.SUCCEEDED, PaymentStatus.PENDING])
            | Q(status=PaymentStatus.CREATED, created_at__gte=now - OPEN_CHECKOUT_COUNTS)
        )
        .aggregate(total=Sum("amount_minor"))["total"]
    )
    return Money(int(total or 0), client_account.platform.currency)


def find_payment(*, config: ProviderConfig, update: PaymentUpdate) -> Payment | None:
    """The payment of `config` a provider update names: by our id, else by the
    provider's id or reference; None when it names none of ours."""
    if update.payment_id is not None:
        payment = Payment.objects.filter(pk=update.payment_id, provider_config=config).first()
        if payment is not None:
            return payment
    for value in (update.external_id, update.external_ref):
        if value:
            payment = (
                Payment.objects.filter(provider_config=config, external_id=value).first()
                or Payment.objects.filter(provider_config=config, external_ref=value).first()
            )
            if payment is not None:
                return payment
    return None


def policy_of(payment: Payment) -> ChannelPolicy | None:
    """The channel policy a payment was started under (None once it was removed)."""
    return ChannelPolicy.objects.filter(
        platform=payment.platform, channel=payment.channel, provider_config=payment.provider_config
    ).first()
