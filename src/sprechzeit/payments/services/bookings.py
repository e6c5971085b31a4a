"""The ledger side of a payment: the wallet credit and the provider's fee, chargebacks
and returns (disputes), refunds the provider reports. Every booking's id derives from
the payment (`payment_ledger_id`), so a replay books nothing twice. Callers hold the
transaction and the payment's row lock (`payments.locks`) and save the payment.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Final

from django.db import transaction

from sprechzeit.accounts.services import client_vat_case_apply
from sprechzeit.core import clock
from sprechzeit.core.money import Money
from sprechzeit.ledger import services as ledger
from sprechzeit.ledger.models import Account, AccountPurpose
from sprechzeit.payments.errors import UpdateNeedsReview
from sprechzeit.payments.locks import payment_lock_against_double_booking
from sprechzeit.payments.mails import account_blocked_on_commit, payment_receipt_on_commit
from sprechzeit.payments.models import Dispute, DisputeStatus, Payment, Refund, RefundStatus
from sprechzeit.payments.outcomes import ApplyOutcome
from sprechzeit.payments.providers.base import PaymentUpdate, UpdateKind
from sprechzeit.payments.selectors import clearing_account
from sprechzeit.wallets import services as wallets

PAYMENTS_NAMESPACE: Final = uuid.UUID("a4f7d0c2-51e3-4b8e-8f0a-7c2d9e6b1f34")


def payment_ledger_id(payment: Payment, leg: str) -> uuid.UUID:
    """The ledger id of one booking (`leg`) of `payment`: the same on every replay."""
    return uuid.uuid5(PAYMENTS_NAMESPACE, f"{payment.pk}:{leg}")


def payment_credit(payment: Payment, *, now: datetime) -> None:
    """Credit the wallet once, book the provider's fee as the operator's expense."""
    if payment.credited_at is not None:
        return
    config = payment.provider_config
    clearing = clearing_account(config)
    # A new country or VAT ID applies from this top-up on (accounts/vat_place.py).
    payment.vat_case = client_vat_case_apply(account=payment.client_account)
    wallets.wallet_credit(
        client_account=payment.client_account,
        amount=payment.amount,
        source=clearing,
        id=payment_ledger_id(payment, "credit"),
        reference=f"payment:{payment.pk}",
    )
    if payment.fee_minor:
        _fee_book(
            payment,
            leg="fee",
            expense=AccountPurpose.PROVIDER_FEES,
            clearing=clearing,
            minor=int(payment.fee_minor),
            purpose="provider_fee",
        )
    payment.credited_at = now
    payment_receipt_on_commit(payment=payment)


def _fee_book(
    payment: Payment,
    *,
    leg: str,
    expense: AccountPurpose,
    clearing: Account,
    minor: int,
    purpose: str,
) -> None:
    """A provider's fee, the operator's expense: `expense` → the provider's `clearing`."""
    ledger.transfer_post(
        id=payment_ledger_id(payment, leg),
        debit_account=wallets.platform_account(platform=payment.platform, purpose=expense),
        credit_account=clearing,
        amount=Money(minor, payment.currency),
        purpose=purpose,
        reference=f"payment:{payment.pk}",
    )


# --- disputes and returns --------------------------------------------------------------


def dispute_debit(
    payment: Payment,
    *,
    dispute_id: str,
    amount: Money | None,
    fee: Money | None,
    reason: str,
    now: datetime,
    status: str,
) -> Dispute:
    """Debit a chargeback or return from the wallet, once per `dispute_id` (a dispute
    already debited or won books nothing), and the provider's dispute fee as the
    operator's loss. Raises `UpdateNeedsReview` for a payment that was never credited."""
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
        booking = wallets.wallet_chargeback(
            client_account=payment.client_account,
            amount=disputed,
            destination=clearing,
            id=payment_ledger_id(payment, f"dispute:{dispute_id}"),
            reference=f"payment:{payment.pk}",
        )
        if booking.to_receivable.minor > 0:  # the client owes money: spending is blocked
            account_blocked_on_commit(dispute=dispute)
    if dispute.fee_minor:
        _fee_book(
            payment,
            leg=f"dispute-fee:{dispute_id}",
            expense=AccountPurpose.CHARGEBACK_LOSS,
            clearing=clearing,
            minor=int(dispute.fee_minor),
            purpose="chargeback_fee",
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
        locked = payment_lock_against_double_booking(payment_id=payment.pk)
        dispute = dispute_debit(
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


def dispute_apply(payment: Payment, update: PaymentUpdate, *, now: datetime) -> ApplyOutcome:
    """A dispute the provider reports: opened or lost debits the wallet (once), won
    gives the money back."""
    dispute_id = update.dispute_id or f"{update.kind}:{payment.pk}"
    opened = update.kind is UpdateKind.DISPUTE_OPENED
    if opened or update.kind is UpdateKind.DISPUTE_LOST:
        if opened:
            existing = Dispute.objects.filter(payment=payment, external_id=dispute_id).first()
            if existing is not None and existing.status != DisputeStatus.OPEN:
                return ApplyOutcome.STALE
        dispute = dispute_debit(
            payment,
            dispute_id=dispute_id,
            amount=update.amount,
            fee=update.fee,
            reason=update.reason,
            now=now,
            status=DisputeStatus.OPEN if opened else DisputeStatus.LOST,
        )
        if opened:
            return ApplyOutcome(f"dispute {dispute.status}")
        dispute.status = DisputeStatus.LOST
        dispute.closed_at = dispute.closed_at or now
        dispute.save()
        return ApplyOutcome.DISPUTE_LOST
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
    dispute_restore(payment, dispute, now=now)
    return ApplyOutcome.DISPUTE_WON


def dispute_restore(payment: Payment, dispute: Dispute, *, now: datetime) -> Money:
    """A won dispute: give back what was debited (once; an open receivable is settled
    first) and close it as won. The caller holds the payment's lock and saves the
    payment. Returns what was restored now (zero on a replay)."""
    restored = Money.zero(payment.currency)
    if dispute.debited and not dispute.restored:
        restored = Money(int(dispute.amount_minor), payment.currency)
        wallets.wallet_credit(
            client_account=payment.client_account,
            amount=restored,
            source=clearing_account(payment.provider_config),
            id=payment_ledger_id(payment, f"dispute-won:{dispute.external_id}"),
            reference=f"payment:{payment.pk}",
            purpose="dispute_won",
        )
        dispute.restored = True
        payment.charged_back_minor -= dispute.amount_minor
    dispute.status = DisputeStatus.WON
    dispute.closed_at = dispute.closed_at or now
    dispute.save()
    return restored


# --- refunds the provider reports ---------------------------------------------------------


def refund_reported(payment: Payment, update: PaymentUpdate, *, now: datetime) -> ApplyOutcome:
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
            return ApplyOutcome.REFUND_CONFIRMED
        extra = update.amount
        key = update.refund_id
    else:
        extra = update.amount - Money(int(payment.refunded_minor), payment.currency)
        key = f"total:{update.amount.minor}"
    if extra.minor <= 0:
        return ApplyOutcome.REFUND_KNOWN
    wallets.wallet_chargeback(
        client_account=payment.client_account,
        amount=extra,
        destination=clearing_account(payment.provider_config),
        id=payment_ledger_id(payment, f"refund-external:{key}"),
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
    return ApplyOutcome.REFUND_BOOKED
