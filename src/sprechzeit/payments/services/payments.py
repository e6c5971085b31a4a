"""Top-ups: starting a checkout, the payment state machine, and applying what providers
report, exactly once and in any order.

Idempotency: a payment's wallet credit, fee and dispute bookings have ledger ids derived
from the payment (`bookings.payment_ledger_id`), and every change happens under the
payment's row lock (`payments.locks`), so replays and concurrent deliveries book
nothing twice.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from functools import partial
from typing import Final

from django.db import transaction

from sprechzeit.accounts.models import ClientAccount
from sprechzeit.core import clock, metrics
from sprechzeit.core.money import Money
from sprechzeit.payments import errors
from sprechzeit.payments.errors import UpdateNeedsReview
from sprechzeit.payments.locks import payment_lock_against_double_booking
from sprechzeit.payments.models import (
    Channel,
    ChannelPolicy,
    CreditOn,
    DisputeStatus,
    Payment,
    PaymentStatus,
)
from sprechzeit.payments.outcomes import ApplyOutcome
from sprechzeit.payments.providers import provider_for
from sprechzeit.payments.providers.base import CheckoutRequest, PaymentUpdate, UpdateKind
from sprechzeit.payments.selectors import channels_for, deposited_this_month, policy_of
from sprechzeit.payments.services.bookings import (
    dispute_apply,
    dispute_debit,
    payment_credit,
    refund_reported,
)
from sprechzeit.wallets import services as wallets
from sprechzeit.wallets.locks import wallet_lock_against_stale_balance
from sprechzeit.wallets.models import WalletSettings

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


# --- starting a top-up ------------------------------------------------------------------


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
    # Paying (part of) a debt may be below the channel's minimum (an instalment).
    owed = wallets.wallet_balance(client_account=client_account).receivable
    debt = amount.currency == owed.currency and 0 < amount.minor <= owed.minor
    if amount.currency != client_account.platform.currency or not (
        (debt or policy.min_minor <= amount.minor) and amount.minor <= policy.max_minor
    ):
        raise errors.AmountOutOfRange(
            amount_minor=amount.minor, min_minor=policy.min_minor, max_minor=policy.max_minor
        )
    with transaction.atomic():
        # Under the wallet lock: two checkouts at once cannot both pass the limit.
        wallet_lock_against_stale_balance(client_account=client_account)
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


# --- the state machine --------------------------------------------------------------------


def _transition(payment: Payment, to: str, *, now: datetime) -> bool:
    if to == payment.status or to not in TRANSITIONS[payment.status]:
        return False
    payment.status = to
    payment.updated_at = now
    return True


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
def payment_apply(*, payment_id: uuid.UUID, update: PaymentUpdate) -> ApplyOutcome:
    """Apply one provider update to one payment under its row lock
    (`payment_lock_against_double_booking`); returns what happened. Stale updates (out
    of order) change nothing; replays book nothing. Raises `UpdateNeedsReview` for
    amount or currency mismatches."""
    now = clock.now()
    payment = payment_lock_against_double_booking(payment_id=payment_id)
    before = payment.status
    outcome = _apply(payment, update, now=now)
    _outcome_count(payment, before=before, outcome=outcome)
    return outcome


# What a provider update did, as the payment outcome metric counts it (besides a payment
# reaching a final status).
_COUNTED: Final[dict[ApplyOutcome, str]] = {
    ApplyOutcome.REFUND_CONFIRMED: "refunded",
    ApplyOutcome.REFUND_BOOKED: "refunded",
    ApplyOutcome.DISPUTE_OPEN: "disputed",
    ApplyOutcome.DISPUTE_LOST: "dispute_lost",
    ApplyOutcome.DISPUTE_WON: "dispute_won",
}
_FINAL: Final = frozenset({PaymentStatus.SUCCEEDED, PaymentStatus.FAILED, PaymentStatus.CANCELED})


def _outcome_count(payment: Payment, *, before: str, outcome: ApplyOutcome) -> None:
    """After commit: the payment reached a final status (`succeeded`, `failed`,
    `canceled`), or a refund or dispute was booked; replays and stale updates count
    nothing (`sprechzeit_payment_outcomes_total`)."""
    moved = payment.status != before and payment.status in _FINAL
    label = str(payment.status) if moved else _COUNTED.get(outcome)
    if label is not None:
        transaction.on_commit(
            partial(
                metrics.count_payment_outcome,
                provider=str(payment.provider_config.kind),
                outcome=label,
            )
        )


def _apply(payment: Payment, update: PaymentUpdate, *, now: datetime) -> ApplyOutcome:
    if update.external_id and not payment.external_id:
        payment.external_id = update.external_id
    if update.external_ref and not payment.external_ref:
        payment.external_ref = update.external_ref
    if update.fingerprint and not payment.fingerprint:
        payment.fingerprint = update.fingerprint
    kind = update.kind
    if kind is UpdateKind.SUCCEEDED:
        return _apply_succeeded(payment, update, now=now)
    if kind is UpdateKind.PROCESSING:
        outcome = _apply_processing(payment, update, now=now)
    elif kind in (UpdateKind.FAILED, UpdateKind.CANCELED):
        outcome = _apply_failed(payment, update, now=now)
    elif kind is UpdateKind.REFUNDED:
        outcome = refund_reported(payment, update, now=now)
    else:
        outcome = dispute_apply(payment, update, now=now)
    payment.save()
    return outcome


def _apply_succeeded(payment: Payment, update: PaymentUpdate, *, now: datetime) -> ApplyOutcome:
    _check_amount(payment, update)
    moved = _transition(payment, PaymentStatus.SUCCEEDED, now=now)
    was_credited = payment.credited_at is not None
    payment_credit(payment, now=now)
    if not was_credited:
        outcome = ApplyOutcome.CREDITED
    else:
        outcome = ApplyOutcome.SETTLED if moved else ApplyOutcome.REPLAY
    payment.save()
    if not was_credited:
        _after_success(payment)
    return outcome


def _apply_processing(payment: Payment, update: PaymentUpdate, *, now: datetime) -> ApplyOutcome:
    """Pending: trusted clients of a channel that credits on initiation get the money
    now, at the operator's risk (a later failure takes it back)."""
    _check_amount(payment, update)
    if not _transition(payment, PaymentStatus.PENDING, now=now):
        return ApplyOutcome.STALE
    policy = policy_of(payment)
    if (
        policy is not None
        and policy.credit_on == CreditOn.INITIATION_IF_TRUSTED
        and wallets.wallet_is_trusted(client_account=payment.client_account)
    ):
        payment_credit(payment, now=now)
        return ApplyOutcome.PENDING_CREDITED
    return ApplyOutcome.PENDING


def _apply_failed(payment: Payment, update: PaymentUpdate, *, now: datetime) -> ApplyOutcome:
    failed = update.kind is UpdateKind.FAILED
    target = PaymentStatus.FAILED if failed else PaymentStatus.CANCELED
    if not _transition(payment, target, now=now):
        return ApplyOutcome.STALE
    payment.failure_reason = update.reason[:200]
    if payment.credited_at is None:
        return ApplyOutcome.FAILED if failed else ApplyOutcome.CANCELED
    # Credited early (trusted slow channel) and then failed: a return.
    dispute_debit(
        payment,
        dispute_id=f"failed:{payment.pk}",
        amount=payment.amount,
        fee=None,
        reason=update.reason or "failed",
        now=now,
        status=DisputeStatus.LOST,
    )
    return (
        ApplyOutcome.FAILED_CREDIT_TAKEN_BACK if failed else ApplyOutcome.CANCELED_CREDIT_TAKEN_BACK
    )


def payment_returned(*, payment: Payment, params: Mapping[str, str]) -> None:
    """The payer came back from the provider's page: providers that complete the payment
    on return (PayPal's capture) do it here; the rest still arrives by webhook."""
    updates = provider_for(payment.provider_config).checkout_return(
        external_id=payment.external_id, params=params
    )
    for update in updates:
        _check_amount(payment, update)
        payment_apply(payment_id=payment.pk, update=update)
