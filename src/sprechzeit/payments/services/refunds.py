"""Refunds of unused paid balance: the client asks, staff approve, the money returns
through the original channels, latest payments first (bank payments as a transfer
instruction). Bonus is never refunded."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable

from django.db import transaction
from django.db.models import F
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from sprechzeit.accounts.models import ClientAccount
from sprechzeit.core import clock
from sprechzeit.core.money import Money, money_text
from sprechzeit.payments import errors
from sprechzeit.payments.mails import refund_decided_on_commit
from sprechzeit.payments.models import (
    Payment,
    PaymentStatus,
    ProviderKind,
    Refund,
    RefundRequest,
    RefundRequestStatus,
    RefundStatus,
)
from sprechzeit.payments.providers import provider_for
from sprechzeit.payments.providers.base import RefundCall
from sprechzeit.payments.selectors import clearing_account, refundable_now
from sprechzeit.wallets import services as wallets

logger = logging.getLogger(__name__)


def refund_request_create(
    *, client_account: ClientAccount, amount: Money | None = None
) -> RefundRequest:
    """Ask for `amount` of the unused paid balance (None: all of it), at most what is
    refundable now (`selectors.refundable_now`: paid, not held, nothing owed)."""
    refundable = refundable_now(client_account)
    wanted = refundable if amount is None else amount
    if refundable.minor <= 0 or not 0 < wanted.minor <= refundable.minor:
        raise errors.RefundNotPossible(
            _("Erstattbar sind zurzeit höchstens %(amount)s.")
            % {"amount": money_text(refundable, get_language())}
            if refundable.minor > 0
            else _("Zurzeit ist kein eingezahltes Guthaben erstattbar."),
            available_minor=refundable.minor,
        )
    if RefundRequest.objects.filter(
        client_account=client_account, status=RefundRequestStatus.REQUESTED
    ).exists():
        raise errors.RefundNotPossible(_("Ein Erstattungsantrag wartet bereits auf Bearbeitung."))
    return RefundRequest.objects.create(
        client_account=client_account,
        amount_minor=wanted.minor,
        currency=wanted.currency,
        created_at=clock.now(),
    )


def refund_amount_check(*, request: RefundRequest, amount: Money | None) -> Money:
    """What approving `request` with `amount` (None: as requested) would refund;
    `RefundNotPossible` saying how much is refundable when that is less."""
    requested = Money(int(request.amount_minor), request.currency)
    wanted = requested if amount is None else amount
    if wanted.currency != requested.currency or not 0 < wanted.minor <= requested.minor:
        raise errors.RefundNotPossible(
            _("Erstattet werden kann ein Betrag über null bis zum beantragten Betrag."),
            requested_minor=requested.minor,
        )
    refundable = refundable_now(request.client_account)
    if wanted > refundable:
        raise errors.RefundNotPossible(
            _("Erstattbar sind zurzeit höchstens %(amount)s; beantragt waren %(requested)s.")
            % {
                "amount": money_text(refundable, get_language()),
                "requested": money_text(requested, get_language()),
            },
            available_minor=refundable.minor,
        )
    return wanted


def refund_request_approve(
    *,
    request: RefundRequest,
    staff: str,
    amount: Money | None = None,
    on_booked: Callable[[RefundRequest, list[Refund]], None] | None = None,
) -> list[Refund]:
    """Book the refund of `amount` (None: the amount requested; less is a partial
    refund) from the wallet to each channel's clearing and ask each provider to pay it
    back. Refuses (`RefundNotPossible`, nothing booked) an amount above what is
    refundable now, saying how much is. The bookings commit first, one per payment,
    with `on_booked` (the console's audit entry) in the same transaction; a provider
    call that fails puts the money back into the wallet and marks that refund failed."""
    with transaction.atomic():
        locked = RefundRequest.objects.select_for_update().get(pk=request.pk)
        if locked.status != RefundRequestStatus.REQUESTED:
            raise errors.RefundNotPossible(_("Über diesen Antrag ist bereits entschieden."))
        account = locked.client_account
        remaining = refund_amount_check(request=locked, amount=amount)
        created: list[Refund] = []
        candidates = (
            Payment.objects.select_for_update(of=("self",))
            .filter(
                client_account=account, status=PaymentStatus.SUCCEEDED, credited_at__isnull=False
            )
            .select_related("provider_config")
            .order_by("-created_at")
        )
        for payment in candidates:
            if remaining.minor <= 0:
                break
            part = min(payment.refundable, remaining)
            if part.minor <= 0:
                continue
            bank = payment.provider_config.kind == ProviderKind.BANK_TRANSFER
            refund = Refund.objects.create(
                payment=payment,
                request=locked,
                amount_minor=part.minor,
                status=RefundStatus.INSTRUCTION if bank else RefundStatus.PENDING,
                created_at=clock.now(),
            )
            wallets.wallet_refund_debit(
                client_account=account,
                amount=part,
                destination=clearing_account(payment.provider_config),
                id=refund.pk,
                reference=f"payment:{payment.pk}",
            )
            payment.refunded_minor += part.minor
            payment.save(update_fields=["refunded_minor"])
            created.append(refund)
            remaining = remaining - part
        locked.status = RefundRequestStatus.APPROVED
        locked.decided_at = clock.now()
        locked.decided_by = staff
        locked.save(update_fields=["status", "decided_at", "decided_by"])
        if on_booked is not None:
            on_booked(locked, created)
        refund_decided_on_commit(request=locked)
    for refund in created:
        if refund.status == RefundStatus.PENDING:
            refund_send(refund=refund)
    return created


def refund_send(*, refund: Refund) -> Refund:
    """Ask the provider to pay `refund` back (idempotent by `refund-<id>`)."""
    payment = refund.payment
    try:
        result = provider_for(payment.provider_config).refund_create(
            RefundCall(
                refund_id=refund.pk,
                payment_external_id=payment.external_id,
                payment_external_ref=payment.external_ref,
                amount=Money(int(refund.amount_minor), payment.currency),
                idempotency_key=f"refund-{refund.pk}",
            )
        )
    except errors.PaymentError:
        logger.exception("refund %s failed at the provider", refund.pk)
        with transaction.atomic():
            wallets.wallet_credit(
                client_account=payment.client_account,
                amount=Money(int(refund.amount_minor), payment.currency),
                source=clearing_account(payment.provider_config),
                id=uuid.uuid5(refund.pk, "restore"),
                reference=f"payment:{payment.pk}",
                purpose="refund_failed",
            )
            Payment.objects.filter(pk=payment.pk).update(
                refunded_minor=F("refunded_minor") - refund.amount_minor
            )
            refund.status = RefundStatus.FAILED
            refund.save(update_fields=["status"])
        return refund
    refund.external_id = result.external_id
    refund.status = RefundStatus.SUCCEEDED if result.succeeded else RefundStatus.PENDING
    refund.save(update_fields=["external_id", "status"])
    return refund


def refund_request_reject(*, request: RefundRequest, staff: str) -> RefundRequest:
    """Close the request without a refund (the caller holds the request's row lock when
    it must not race another decision)."""
    if request.status != RefundRequestStatus.REQUESTED:
        raise errors.RefundNotPossible(_("Über diesen Antrag ist bereits entschieden."))
    request.status = RefundRequestStatus.REJECTED
    request.decided_at = clock.now()
    request.decided_by = staff
    request.save(update_fields=["status", "decided_at", "decided_by"])
    refund_decided_on_commit(request=request)
    return request
