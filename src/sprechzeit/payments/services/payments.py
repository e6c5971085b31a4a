"""Top-ups: starting a checkout, the payment state machine, and applying what providers
report, exactly once and in any order.

Idempotency: a payment's wallet credit, fee and dispute bookings have ledger ids derived
from the payment (`_ledger_id`), and every change happens under the payment's row lock
(`_payment_lock`), so replays and concurrent deliveries book nothing twice.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Final

from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone

from sprechzeit.accounts.models import ClientAccount
from sprechzeit.core import clock
from sprechzeit.core.money import Money
from sprechzeit.ledger import services as ledger
from sprechzeit.ledger.models import Account, AccountPurpose
from sprechzeit.payments import errors
from sprechzeit.payments.models import (
    Channel,
    ChannelPolicy,
    CreditOn,
    Dispute,
    DisputeStatus,
    Payment,
    PaymentStatus,
    ProviderConfig,
    ProviderKind,
    Refund,
    RefundStatus,
)
from sprechzeit.payments.providers import provider_for
from sprechzeit.payments.providers.base import CheckoutRequest, PaymentUpdate, UpdateKind
from sprechzeit.wallets import services as wallets
from sprechzeit.wallets.models import WalletSettings

PAYMENTS_NAMESPACE: Final = uuid.UUID("a4f7d0c2-51e3-4b8e-8f0a-7c2d9e6b1f34")
OWNER_CONFIG: Final = "payments.providerconfig"
# An open checkout counts against the deposit limit for this long.
OPEN_CHECKOUT_COUNTS: Final = timedelta(hours=1)

# The state machine: where a payment may go from each status. A notification asking for
# anything else is stale (it arrived out of order) and changes nothing. Failed and
# canceled may still succeed: a provider can retry a payment or report a late success,
# and money that arrived is always credited.
TRANSITIONS: Final[Mapping[str, frozenset[str]]] = {
    PaymentStatus.CREATED: frozenset(
        {
            PaymentStatus.PENDING,
            PaymentStatus.SUCCEEDED,
            PaymentStatus.FAILED,
            PaymentStatus.CANCELED,
        }
    ),
    PaymentStatus.PENDING: frozenset(
        {PaymentStatus.SUCCEEDED, PaymentStatus.FAILED, PaymentStatus.CANCELED}
    ),
    PaymentStatus.FAILED: frozenset({PaymentStatus.SUCCEEDED}),
    PaymentStatus.CANCELED: frozenset({PaymentStatus.SUCCEEDED}),
    PaymentStatus.SUCCEEDED: frozenset(),
}


class UpdateNeedsReview(errors.PaymentError):
    """An authentic update that cannot be applied automatically (unknown payment,
    amount or currency mismatch): the inbox entry waits for staff."""

    code = "needs_review"


def _ledger_id(payment: Payment, leg: str) -> uuid.UUID:
    return uuid.uuid5(PAYMENTS_NAMESPACE, f"{payment.pk}:{leg}")


def clearing_account(config: ProviderConfig) -> Account:
    """What the provider owes the operator (a bank account for bank transfers)."""
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


# --- starting a top-up ------------------------------------------------------------------


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


def payment_start(
    *,
    client_account: ClientAccount,
    policy: ChannelPolicy,
    amount: Money,
    return_url: str,
    cancel_url: str,
    webhook_url: str,
) -> Payment:
    """Create a payment and its checkout at the provider; the client goes to
    `payment.redirect_url`.

    Checks the channel (enabled, allowed for this client), its limits, and the wallet's
    rules (blocked, self-excluded, deposit limit). The provider call carries the key
    `payment-<id>`, so a retry never opens a second checkout.
    """
    if policy.platform_id != client_account.platform_id or not policy.enabled:
        raise errors.ChannelUnavailable(channel=policy.channel)
    if policy not in channels_for(client_account=client_account):
        raise errors.ChannelUnavailable(channel=policy.channel)
    if policy.channel == Channel.BANK_TRANSFER:
        raise errors.ChannelUnavailable(channel=policy.channel)
    if amount.currency != client_account.platform.currency or not (
        policy.min_minor <= amount.minor <= policy.max_minor
    ):
        raise errors.AmountOutOfRange(
            amount_minor=amount.minor, min_minor=policy.min_minor, max_minor=policy.max_minor
        )
    with transaction.atomic():
        # Under the wallet lock: two checkouts at once cannot both pass the limit.
        wallets.wallet_lock(client_account=client_account)
        wallets.wallet_check_deposit(
            client_account=client_account,
            amount=amount,
            deposited_this_month=deposited_this_month(client_account=client_account),
        )
        now = clock.now()
        payment = Payment.objects.create(
            platform=client_account.platform,
            client_account=client_account,
            provider_config=policy.provider_config,
            channel=policy.channel,
            amount_minor=amount.minor,
            currency=amount.currency,
            fee_minor=policy.fee_for(amount).minor,
            created_at=now,
            updated_at=now,
        )
    try:
        provider = provider_for(policy.provider_config)
        result = provider.checkout_create(
            CheckoutRequest(
                payment_id=payment.pk,
                amount=amount,
                channel=policy.channel,
                description=f"{client_account.platform.name} {client_account.customer_number}",
                return_url=return_url.replace("{id}", str(payment.pk)),
                cancel_url=cancel_url.replace("{id}", str(payment.pk)),
                webhook_url=webhook_url,
                customer_email=client_account.user.email,
                idempotency_key=f"payment-{payment.pk}",
            )
        )
    except errors.PaymentError as exc:
        # No checkout exists: the payment must not count against the deposit limit.
        payment.status = PaymentStatus.CANCELED
        payment.failure_reason = exc.code
        payment.save(update_fields=["status", "failure_reason"])
        raise
    payment.external_id = result.external_id
    payment.external_ref = result.external_ref
    payment.redirect_url = result.redirect_url
    payment.save(update_fields=["external_id", "external_ref", "redirect_url"])
    return payment


# --- the state machine and its bookings ----------------------------------------------------


def _payment_lock(payment_id: uuid.UUID) -> Payment:
    """Lock one payment row: every change to a payment and its bookings happens under it,
    so two deliveries of news about one payment run one after the other."""
    return (
        Payment.objects.select_for_update()
        .select_related(
            "client_account__platform", "client_account__user", "provider_config__platform"
        )
        .get(pk=payment_id)
    )


def find_payment(*, config: ProviderConfig, update: PaymentUpdate) -> Payment | None:
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


def _policy(payment: Payment) -> ChannelPolicy | None:
    return ChannelPolicy.objects.filter(
        platform=payment.platform, channel=payment.channel, provider_config=payment.provider_config
    ).first()


def _transition(payment: Payment, to: str, *, now: datetime) -> bool:
    if to == payment.status or to not in TRANSITIONS[payment.status]:
        return False
    payment.status = to
    payment.updated_at = now
    return True


def _credit(payment: Payment, *, now: datetime) -> None:
    """Credit the wallet once, book the provider's fee as the operator's expense."""
    if payment.credited_at is not None:
        return
    config = payment.provider_config
    clearing = clearing_account(config)
    wallets.wallet_credit(
        client_account=payment.client_account,
        amount=payment.amount,
        source=clearing,
        id=_ledger_id(payment, "credit"),
        reference=f"payment:{payment.pk}",
    )
    if payment.fee_minor:
        ledger.transfer_post(
            id=_ledger_id(payment, "fee"),
            debit_account=wallets.platform_account(
                platform=payment.platform, purpose=AccountPurpose.PROVIDER_FEES
            ),
            credit_account=clearing,
            amount=Money(int(payment.fee_minor), payment.currency),
            purpose="provider_fee",
            reference=f"payment:{payment.pk}",
        )
    payment.credited_at = now


def _after_success(payment: Payment) -> None:
    wallets.wallet_mark_trusted(client_account=payment.client_account)
    wallets.welcome_credit_grant(
        client_account=payment.client_account,
        trigger=WalletSettings.WelcomeOn.FIRST_TOPUP,
        fingerprint=payment.fingerprint,
    )


def _check_amount(payment: Payment, update: PaymentUpdate) -> None:
    if update.amount is not None and update.amount != payment.amount:
        raise UpdateNeedsReview(
            "Amount or currency differ from the payment.",
            expected=str(payment.amount),
            reported=str(update.amount),
        )


@transaction.atomic
def payment_apply(*, payment_id: uuid.UUID, update: PaymentUpdate) -> str:
    """Apply one provider update to one payment under its row lock; returns a short note
    of what happened. Stale updates (out of order) change nothing; replays book nothing.
    Raises `UpdateNeedsReview` for amount or currency mismatches."""
    now = clock.now()
    payment = _payment_lock(payment_id)
    kind = update.kind
    if update.external_id and not payment.external_id:
        payment.external_id = update.external_id
    if update.external_ref and not payment.external_ref:
        payment.external_ref = update.external_ref
    if update.fingerprint and not payment.fingerprint:
        payment.fingerprint = update.fingerprint
    note = "stale"
    if kind is UpdateKind.SUCCEEDED:
        _check_amount(payment, update)
        moved = _transition(payment, PaymentStatus.SUCCEEDED, now=now)
        was_credited = payment.credited_at is not None
        _credit(payment, now=now)
        note = "credited" if not was_credited else ("settled" if moved else "replay")
        payment.save()
        if not was_credited:
            _after_success(payment)
        return note
    if kind is UpdateKind.PROCESSING:
        _check_amount(payment, update)
        if _transition(payment, PaymentStatus.PENDING, now=now):
            note = "pending"
            policy = _policy(payment)
            if (
                policy is not None
                and policy.credit_on == CreditOn.INITIATION_IF_TRUSTED
                and wallets.wallet_is_trusted(client_account=payment.client_account)
            ):
                _credit(payment, now=now)
                note = "pending, credited at the operator's risk"
        payment.save()
        return note
    if kind in (UpdateKind.FAILED, UpdateKind.CANCELED):
        target = PaymentStatus.FAILED if kind is UpdateKind.FAILED else PaymentStatus.CANCELED
        if _transition(payment, target, now=now):
            payment.failure_reason = update.reason[:200]
            note = str(target)
            if payment.credited_at is not None:
                # Credited early (trusted slow channel) and then failed: a return.
                _dispute_debit(
                    payment,
                    dispute_id=f"failed:{payment.pk}",
                    amount=payment.amount,
                    fee=None,
                    reason=update.reason or "failed",
                    now=now,
                    status=DisputeStatus.LOST,
                )
                note += ", early credit taken back"
        payment.save()
        return note
    if kind is UpdateKind.REFUNDED:
        note = _refund_reported(payment, update, now=now)
        payment.save()
        return note
    note = _dispute(payment, update, now=now)
    payment.save()
    return note


# --- disputes and returns --------------------------------------------------------------


def _dispute_debit(
    payment: Payment,
    *,
    dispute_id: str,
    amount: Money | None,
    fee: Money | None,
    reason: str,
    now: datetime,
    status: str,
) -> Dispute:
    dispute, _created = Dispute.objects.get_or_create(
        payment=payment,
        external_id=dispute_id,
        defaults={
            "amount_minor": (amount or payment.amount).minor,
            "fee_minor": fee.minor if fee else 0,
            "reason": reason[:100],
            "status": status,
            "opened_at": now,
        },
    )
    if dispute.debited or dispute.status == DisputeStatus.WON:
        return dispute
    if payment.credited_at is None:
        raise UpdateNeedsReview("A chargeback for a payment that was never credited.")
    disputed = min(Money(int(dispute.amount_minor), payment.currency), payment.refundable)
    config = payment.provider_config
    clearing = clearing_account(config)
    if disputed.minor > 0:
        wallets.wallet_chargeback(
            client_account=payment.client_account,
            amount=disputed,
            destination=clearing,
            id=_ledger_id(payment, f"dispute:{dispute_id}"),
            reference=f"payment:{payment.pk}",
        )
    if dispute.fee_minor:
        ledger.transfer_post(
            id=_ledger_id(payment, f"dispute-fee:{dispute_id}"),
            debit_account=wallets.platform_account(
                platform=payment.platform, purpose=AccountPurpose.CHARGEBACK_LOSS
            ),
            credit_account=clearing,
            amount=Money(int(dispute.fee_minor), payment.currency),
            purpose="chargeback_fee",
            reference=f"payment:{payment.pk}",
        )
    dispute.amount_minor = disputed.minor
    dispute.debited = True
    dispute.status = status
    dispute.save()
    payment.charged_back_minor += disputed.minor
    return dispute


def payment_chargeback(
    *,
    payment: Payment,
    dispute_id: str,
    amount: Money | None,
    reason: str,
    fee: Money | None = None,
) -> Dispute:
    """A lost chargeback or a return debit (bank statement): the chargeback path."""
    with transaction.atomic():
        locked = _payment_lock(payment.pk)
        dispute = _dispute_debit(
            locked,
            dispute_id=dispute_id,
            amount=amount,
            fee=fee,
            reason=reason,
            now=clock.now(),
            status=DisputeStatus.LOST,
        )
        locked.save()
        return dispute


def _dispute(payment: Payment, update: PaymentUpdate, *, now: datetime) -> str:
    dispute_id = update.dispute_id or f"{update.kind}:{payment.pk}"
    if update.kind is UpdateKind.DISPUTE_OPENED:
        existing = Dispute.objects.filter(payment=payment, external_id=dispute_id).first()
        if existing is not None and existing.status != DisputeStatus.OPEN:
            return "stale"
        dispute = _dispute_debit(
            payment,
            dispute_id=dispute_id,
            amount=update.amount,
            fee=update.fee,
            reason=update.reason,
            now=now,
            status=DisputeStatus.OPEN,
        )
        return f"dispute {dispute.status}"
    if update.kind is UpdateKind.DISPUTE_LOST:
        dispute = _dispute_debit(
            payment,
            dispute_id=dispute_id,
            amount=update.amount,
            fee=update.fee,
            reason=update.reason,
            now=now,
            status=DisputeStatus.LOST,
        )
        dispute.status = DisputeStatus.LOST
        dispute.closed_at = dispute.closed_at or now
        dispute.save()
        return "dispute lost"
    # Won: the provider gives the money back; an open receivable is settled first.
    dispute, _created = Dispute.objects.get_or_create(
        payment=payment,
        external_id=dispute_id,
        defaults={
            "amount_minor": (update.amount or payment.amount).minor,
            "status": DisputeStatus.WON,
            "opened_at": now,
            "closed_at": now,
        },
    )
    if dispute.debited and not dispute.restored:
        wallets.wallet_credit(
            client_account=payment.client_account,
            amount=Money(int(dispute.amount_minor), payment.currency),
            source=clearing_account(payment.provider_config),
            id=_ledger_id(payment, f"dispute-won:{dispute_id}"),
            reference=f"payment:{payment.pk}",
            purpose="dispute_won",
        )
        dispute.restored = True
        payment.charged_back_minor -= dispute.amount_minor
    dispute.status = DisputeStatus.WON
    dispute.closed_at = dispute.closed_at or now
    dispute.save()
    return "dispute won"


# --- refunds the provider reports ---------------------------------------------------------


def _refund_reported(payment: Payment, update: PaymentUpdate, *, now: datetime) -> str:
    """A refund at the provider. With a refund id it is one refund (ours: confirmed;
    unknown: made in the provider's dashboard); without, `amount` is the running total
    of everything refunded. Money refunded outside our flow leaves the wallet too."""
    if update.amount is None:
        raise UpdateNeedsReview("A refund without an amount.")
    if update.refund_id:
        ours = Refund.objects.filter(payment=payment, external_id=update.refund_id).first()
        if ours is not None:
            if ours.status != RefundStatus.SUCCEEDED:
                ours.status = RefundStatus.SUCCEEDED
                ours.save(update_fields=["status"])
            return "refund confirmed"
        extra = update.amount
        key = update.refund_id
    else:
        extra = update.amount - Money(int(payment.refunded_minor), payment.currency)
        key = f"total:{update.amount.minor}"
    if extra.minor <= 0:
        return "refund already known"
    wallets.wallet_chargeback(
        client_account=payment.client_account,
        amount=extra,
        destination=clearing_account(payment.provider_config),
        id=_ledger_id(payment, f"refund-external:{key}"),
        reference=f"payment:{payment.pk}",
        purpose="refund_external",
        block=False,
    )
    Refund.objects.create(
        payment=payment,
        amount_minor=extra.minor,
        external_id=update.refund_id or key,
        status=RefundStatus.SUCCEEDED,
        created_at=now,
    )
    payment.refunded_minor += extra.minor
    return "refund booked"


def payment_returned(*, payment: Payment, params: Mapping[str, str]) -> None:
    """The payer came back from the provider's page: providers that complete the payment
    on return (PayPal's capture) do it here; the rest still arrives by webhook."""
    updates = provider_for(payment.provider_config).checkout_return(
        external_id=payment.external_id, params=params
    )
    for update in updates:
        _check_amount(payment, update)
        payment_apply(payment_id=payment.pk, update=update)
