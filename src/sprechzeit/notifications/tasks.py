"""Celery tasks of notifications: thin edges that call one service."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from sprechzeit.notifications.errors import MailDeliveryFailed
from sprechzeit.notifications.services import mail_deliver, mail_mark_failed, mails_queued_resend

MAX_RETRIES = 6


@shared_task(
    bind=True,
    name="sprechzeit.notifications.tasks.mail_deliver",
    max_retries=MAX_RETRIES,
    acks_late=True,
)
def mail_deliver_task(self: Any, mail_id: str) -> bool:
    """Send one queued mail; a refused send is retried with growing pauses (1, 2, 4, …
    minutes), then marked failed."""
    try:
        return mail_deliver(mail_id=mail_id)
    except MailDeliveryFailed as exc:
        if self.request.retries >= MAX_RETRIES:
            mail_mark_failed(mail_id=mail_id)
            return False
        raise self.retry(exc=exc, countdown=60 * 2**self.request.retries) from exc


@shared_task(name="sprechzeit.notifications.tasks.mails_resend")
def mails_resend() -> int:
    """Beat: queue again mails whose delivery task never ran (broker away at commit)."""
    return mails_queued_resend()
