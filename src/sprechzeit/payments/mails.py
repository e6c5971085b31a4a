"""Mails of payments: the top-up receipt and the refund decision. Each is composed by a
task after the booking commits (ids only; no query inside the booking's transaction)
and sent once per event (`mail_send` key)."""

from __future__ import annotations

import uuid

from celery import shared_task
from django.db import transaction
from django.urls import reverse

from sprechzeit.notifications.models import OutboundMail
from sprechzeit.notifications.rendering import platform_link
from sprechzeit.notifications.services import mail_send
from sprechzeit.payments.models import Dispute, Payment, RefundRequest, RefundRequestStatus
from sprechzeit.wallets.services import wallet_balance


def payment_receipt_on_commit(*, payment: Payment) -> None:
    """After the credit commits: queue the receipt of `payment`."""
    payment_id = str(payment.pk)
    transaction.on_commit(lambda: payment_receipt_mail.delay(payment_id), robust=True)


def payment_receipt_send(*, payment_id: uuid.UUID | str) -> None:
    """The receipt of a credited top-up: amount, method, time, reference, the operator
    (with VAT ID) and the balance now; the PDF receipt attached (`payments.receipts`)."""
    payment = (
        Payment.objects.select_related("platform__legal_entity", "client_account__user")
        .filter(pk=payment_id, credited_at__isnull=False)
        .first()
    )
    if payment is None:
        return
    from sprechzeit.payments.receipts import receipt_filename, receipt_pdf  # noqa: PLC0415

    account = payment.client_account
    if OutboundMail.objects.filter(key=f"payment-receipt:{payment.pk}").exists():
        return  # sent already: do not render the PDF again
    mail_send(
        platform=payment.platform,
        to=account.user,
        template="topup_receipt",
        context={
            "payment": payment,
            "user": account.user,
            "customer_number": account.customer_number,
            "entity": payment.platform.legal_entity,
            "balance": wallet_balance(client_account=account).available,
            "wallet_url": platform_link(payment.platform, reverse("payments:wallet")),
        },
        key=f"payment-receipt:{payment.pk}",
        attachments=[(receipt_filename(payment), receipt_pdf(payment), "application/pdf")],
    )


def account_blocked_on_commit(*, dispute: Dispute) -> None:
    dispute_id = dispute.pk
    transaction.on_commit(lambda: account_blocked_mail.delay(dispute_id), robust=True)


def account_blocked_send(*, dispute_id: int) -> None:
    """A chargeback took more than the balance: the client owes the rest and may not
    spend (nor top up) until it is paid. The mail says how much and how to pay: a bank
    transfer to the operator with the customer number, or a reply to the mail."""
    dispute = (
        Dispute.objects.select_related(
            "payment__platform__legal_entity", "payment__client_account__user"
        )
        .filter(pk=dispute_id)
        .first()
    )
    if dispute is None:
        return
    payment = dispute.payment
    account = payment.client_account
    owed = wallet_balance(client_account=account).receivable
    if owed.minor <= 0:
        return  # paid in the meantime
    mail_send(
        platform=payment.platform,
        to=account.user,
        template="account_blocked",
        context={
            "user": account.user,
            "owed": owed,
            "payment": payment,
            "entity": payment.platform.legal_entity,
            "customer_number": account.customer_number,
            "wallet_url": platform_link(payment.platform, reverse("payments:wallet")),
        },
        key=f"account-blocked:{dispute.pk}",
    )


def refund_decided_on_commit(*, request: RefundRequest) -> None:
    request_id = request.pk
    transaction.on_commit(lambda: refund_decided_mail.delay(request_id), robust=True)


def refund_decided_send(*, request_id: int) -> None:
    """The client learns whether the refund was approved (and how much goes back to
    which payment) or rejected."""
    request = (
        RefundRequest.objects.select_related("client_account__user", "client_account__platform")
        .filter(pk=request_id)
        .exclude(status=RefundRequestStatus.REQUESTED)
        .first()
    )
    if request is None:
        return
    account = request.client_account
    refunds = list(request.refunds.select_related("payment").order_by("pk"))
    mail_send(
        platform=account.platform,
        to=account.user,
        template="refund_decided",
        context={
            "request": request,
            "approved": request.status == RefundRequestStatus.APPROVED,
            "refunds": refunds,
            "total_minor": sum(int(r.amount_minor) for r in refunds),
            "user": account.user,
            "wallet_url": platform_link(account.platform, reverse("payments:wallet")),
        },
        key=f"refund-decided:{request.pk}",
    )


@shared_task(name="sprechzeit.payments.mails.payment_receipt_mail")
def payment_receipt_mail(payment_id: str) -> None:
    """After a top-up's credit commits: the receipt (once per payment)."""
    payment_receipt_send(payment_id=payment_id)


@shared_task(name="sprechzeit.payments.mails.refund_decided_mail")
def refund_decided_mail(request_id: int) -> None:
    """After a refund request is decided: the client's mail (once per request)."""
    refund_decided_send(request_id=request_id)


@shared_task(name="sprechzeit.payments.mails.account_blocked_mail")
def account_blocked_mail(dispute_id: int) -> None:
    """After a chargeback left the client owing money: the blocked-account mail."""
    account_blocked_send(dispute_id=dispute_id)
