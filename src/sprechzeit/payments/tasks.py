"""Celery edges of payments: thin, idempotent, safe on any schedule."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task

from sprechzeit.core import clock
from sprechzeit.payments import mails  # noqa: F401 - registers its mail tasks for the worker
from sprechzeit.payments.models import InboxEntry, InboxStatus
from sprechzeit.payments.services import inbox


@shared_task(name="sprechzeit.payments.tasks.inbox_retry_failed")
def inbox_retry_failed(limit: int = 200) -> int:
    """Process again the entries our own code failed on (not those waiting for review);
    entries older than three days are left for staff. Returns how many were retried."""
    since = clock.now() - timedelta(days=3)
    ids = list(
        InboxEntry.objects.filter(status=InboxStatus.FAILED, received_at__gte=since)
        .order_by("received_at")
        .values_list("pk", flat=True)[:limit]
    )
    for entry_id in ids:
        inbox.inbox_process(entry_id=int(entry_id))
    return len(ids)
