"""Payment reads. Tenant-owned reads take the platform (or its client) first."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Final

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from sprechzeit.accounts.models import ClientAccount
from sprechzeit.core import clock
from sprechzeit.core.money import Money
from sprechzeit.ledger import services as ledger
from sprechzeit.ledger.models import Account, AccountPurpose
from sprechzeit.payments.models import (
    ChannelPolicy,
    DisputeStatus,
    Payment,
    PaymentStatus,
    ProviderConfig,
    ProviderKind,
    RefundRequest,
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


def refundable_now(client_account: ClientAccount) -> Money:
    """What a refund request may ask for now: the paid balance not held by a running
    consultation; nothing while the client owes money (bonus is never refunded)."""
    balance = wallets.wallet_balance(client_account=client_account)
    zero = Money.zero(balance.paid.currency)
    if balance.receivable.minor > 0:
        return zero
    return max(zero, min(balance.paid - balance.pending, balance.paid))


@dataclass(frozen=True, slots=True)
class PaymentRow:
    """A payment as the client's list shows it: a chargeback or refund changes what the
    status says ("zurückgebucht", not "erfolgreich")."""

    payment: Payment
    status: str
    tone: str  # "", "warning" or "error"
    via: str = ""  # a saved method's charge: which, and whether automatic


def _via(payment: Payment) -> str:
    """Which saved method a top-up charged, and whether automatically: the client sees
    why their card was charged ("" for a checkout)."""
    try:
        charge = payment.method_charge
    except ObjectDoesNotExist:
        return ""
    if charge.automatic:
        return _("automatisch aufgeladen mit %(label)s") % {"label": charge.method.label}
    return _("mit %(label)s") % {"label": charge.method.label}


def payment_rows(client_account: ClientAccount, *, limit: int = 50) -> list[PaymentRow]:
    rows = []
    listed = payments_of(client_account).select_related("method_charge__method")
    for payment in listed.prefetch_related("disputes")[:limit]:
        disputes = list(payment.disputes.all())
        status, tone = str(payment.get_status_display()), ""
        if any(d.status == DisputeStatus.OPEN for d in disputes):
            status, tone = str(_("angefochten (Rückbuchung offen)")), "error"
        elif any(d.status in (DisputeStatus.LOST, DisputeStatus.ACCEPTED) for d in disputes):
            status, tone = str(pgettext("payment", "zurückgebucht")), "error"
        elif any(d.status == DisputeStatus.WON for d in disputes):
            status = str(_("erfolgreich (Rückbuchung abgewiesen)"))
        elif payment.refunded_minor >= payment.amount_minor > 0:
            status, tone = str(_("erstattet")), "warning"
        elif payment.refunded_minor > 0:
            status, tone = str(_("teilweise erstattet")), "warning"
        rows.append(PaymentRow(payment=payment, status=status, tone=tone, via=_via(payment)))
    return rows


def refund_requests_of(client_account: ClientAccount) -> QuerySet[RefundRequest]:
    """The client's refund requests, newest first, with their refunds."""
    return (
        RefundRequest.objects.filter(client_account=client_account)
        .prefetch_related("refunds")
        .order_by("-created_at")
    )
