"""Celery edges of accounting: after a month ends (beat, `config/celery.py`, on the 1st
at 04:00), book the § 17 corrections of every entity for that month and issue the
business clients' invoices. Both are safe to rerun (nothing is booked or issued twice)."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from sprechzeit.accounting.invoices import client_invoices_issue
from sprechzeit.accounting.vat_corrections import vat_corrections_book
from sprechzeit.core import clock
from sprechzeit.platforms.models import LegalEntity
from sprechzeit.statements.periods import period_parse


@shared_task(name="sprechzeit.accounting.tasks.month_end")
def month_end() -> str:
    """The § 17 corrections and the client invoices of the month that just ended."""
    last_month = (timezone.localdate(clock.now()).replace(day=1) - timedelta(days=1)).strftime(
        "%Y-%m"
    )
    period = period_parse(last_month)
    corrections = sum(
        len(vat_corrections_book(legal_entity=entity, period=period))
        for entity in LegalEntity.objects.order_by("pk")
    )
    run = client_invoices_issue(month=last_month)
    return (
        f"{last_month}: {corrections} correction(s), {len(run.issued)} invoice(s), "
        f"{len(run.held)} held"
    )
