"""Mails after a consultation: the client's summary and, when the balance left buys less
than `LOW_BALANCE_MINUTES` at this partner's rate, a low-balance notice with the top-up
link. Composed by a task after the settlement commits (no query inside it), once each."""

from __future__ import annotations

import uuid

from celery import shared_task
from django.db import OperationalError, transaction
from django.urls import reverse

from sprechzeit.consultations import billing
from sprechzeit.consultations.models import Consultation
from sprechzeit.core.money import Money
from sprechzeit.notifications.rendering import platform_link
from sprechzeit.notifications.services import mail_send

LOW_BALANCE_MINUTES = 5


def consultation_mails_on_commit(*, consultation: Consultation) -> None:
    """After the settlement commits: queue the client's mails about it."""
    consultation_id = str(consultation.pk)
    transaction.on_commit(lambda: consultation_mails.delay(consultation_id), robust=True)


def consultation_mails_send(*, consultation_id: uuid.UUID | str) -> None:
    """Summary (duration, billed time, price, cost, why it ended, balance left) and, if
    the balance is low, the low-balance notice. Its reads and both mails' rows are one
    transaction (each delivery is one more, after commit)."""
    with transaction.atomic():
        _mails_send(consultation_id)


def _mails_send(consultation_id: uuid.UUID | str) -> None:
    consultation = (
        Consultation.objects.select_related("platform__legal_entity", "client__user", "listing")
        .filter(pk=consultation_id, status=Consultation.Status.SETTLED)
        .first()
    )
    if consultation is None:
        return
    platform = consultation.platform
    client = consultation.client
    balance = billing.client_available(client=client, currency=consultation.currency)
    context = {
        "consultation": consultation,
        "user": client.user,
        "partner_name": consultation.listing.display_name,
        "rate": Money(consultation.rate_minor, consultation.currency),
        "amount": Money(consultation.amount_minor or 0, consultation.currency),
        "balance": balance,
        "records_url": platform_link(platform, reverse("consultations:records")),
        "topup_url": platform_link(platform, reverse("payments:topup")),
        "low_minutes": LOW_BALANCE_MINUTES,
    }
    mail_send(
        platform=platform,
        to=client.user,
        template="consultation_summary",
        context=context,
        key=f"consultation-summary:{consultation.pk}",
    )
    if balance.minor < consultation.rate_minor * LOW_BALANCE_MINUTES:
        mail_send(
            platform=platform,
            to=client.user,
            template="low_balance",
            context=context,
            key=f"low-balance:{consultation.pk}",
        )


@shared_task(
    name="sprechzeit.consultations.mails.consultation_mails",
    # A deadlock with the settlements of a burst (seen at 4,000 concurrent consultations)
    # rolls the mails' rows back whole; once more is safe (each mail has its key).
    autoretry_for=(OperationalError,),
    retry_backoff=1,
    retry_backoff_max=30,
    max_retries=10,
)
def consultation_mails(consultation_id: str) -> None:
    """After a settlement commits: the client's summary (and low-balance) mails."""
    consultation_mails_send(consultation_id=consultation_id)
