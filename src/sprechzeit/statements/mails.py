"""The partner's mail when a credit note is issued: number, period, amount and the link
to the partner area's credit notes (where the PDF is, once rendered). Composed by a task
after the issue commits, once per statement. From the issuing operator (legal entity)."""

from __future__ import annotations

from collections.abc import Sequence

from celery import shared_task
from django.db import transaction
from django.urls import reverse

from sprechzeit.core.money import Money
from sprechzeit.notifications.rendering import platform_link
from sprechzeit.notifications.services import mail_send
from sprechzeit.statements.models import Statement


def statements_issued_on_commit(*, statement_ids: Sequence[int]) -> None:
    ids = list(statement_ids)
    transaction.on_commit(
        lambda: [statement_issued_mail.delay(statement_id) for statement_id in ids],
        robust=True,
    )


def statement_issued_send(*, statement_id: int) -> None:
    statement = (
        Statement.objects.select_related("partner__user", "legal_entity")
        .filter(pk=statement_id, status=Statement.Status.ISSUED)
        .first()
    )
    if statement is None:
        return
    partner = statement.partner
    listing = partner.listings.select_related("platform").order_by("pk").first()
    link = (
        platform_link(listing.platform, reverse("statements:list")) if listing is not None else ""
    )
    mail_send(
        platform=None,
        entity=statement.legal_entity,
        to=partner.user,
        template="credit_note_ready",
        context={
            "statement": statement,
            "user": partner.user,
            "amount": Money(int(statement.gross_minor or 0), statement.currency),
            "statements_url": link,
        },
        key=f"credit-note:{statement.pk}",
    )


@shared_task(name="sprechzeit.statements.mails.statement_issued_mail")
def statement_issued_mail(statement_id: int) -> None:
    """After a credit note is issued: the partner's mail (once per statement)."""
    statement_issued_send(statement_id=statement_id)
