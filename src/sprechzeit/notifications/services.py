"""Sending mail: `mail_send` renders a branded mail and queues it; after commit a Celery
task (`tasks.mail_deliver_task`, retried) hands it to the mail backend.

Idempotent per `key`: the same event (a payment's receipt, a consultation's summary)
sends one mail however often it is reported. Bodies are rendered when the mail is
queued (the request's language and links), the send needs only the row.
"""

from __future__ import annotations

import base64
import contextvars
import smtplib
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction

from sprechzeit.accounts.models import User
from sprechzeit.core import clock
from sprechzeit.notifications.errors import MailDeliveryFailed
from sprechzeit.notifications.models import OutboundMail
from sprechzeit.notifications.rendering import mail_render, sender_of
from sprechzeit.platforms.models import LegalEntity, Platform

# Mails that carry a log-in secret: their bodies are emptied once sent.
SECRET_TEMPLATES = frozenset({"verify_email", "password_reset", "partner_invitation"})
Attachment = tuple[str, bytes, str]  # file name, content, MIME type

_muted: contextvars.ContextVar[bool] = contextvars.ContextVar("mail_muted", default=False)


@contextmanager
def mail_muted() -> Iterator[None]:
    """No mail inside: for backfilling history (the demo's past), whose events are not
    news to anyone."""
    token = _muted.set(True)
    try:
        yield
    finally:
        _muted.reset(token)


def mail_send(
    *,
    platform: Platform | None,
    to: User | str,
    template: str,
    context: dict[str, Any],
    attachments: Iterable[Attachment] = (),
    key: str | None = None,
    language: str | None = None,
    entity: LegalEntity | None = None,
) -> OutboundMail | None:
    """Render `template` for `to` (a user: their address and language; or an address)
    in the platform's brand (partner mail: the operator `entity`'s), store it and
    deliver it after commit.

    With a `key` already used, nothing new is sent: the earlier mail is returned.
    Returns None inside `mail_muted()`.
    """
    if _muted.get():
        return None
    if key is not None:
        existing = OutboundMail.objects.filter(key=key).first()
        if existing is not None:
            return existing
    user = to if isinstance(to, User) else None
    address = to.email if isinstance(to, User) else to
    lang = language or (user.language if user is not None else None)
    lang = lang or (platform.default_locale if platform is not None else "de")
    rendered = mail_render(
        platform=platform, template=template, context=context, language=lang, entity=entity
    )
    try:
        with transaction.atomic():
            mail = OutboundMail.objects.create(
                platform=platform,
                user=user,
                to_email=address,
                from_email=sender_of(platform, entity),
                template=template,
                language=lang,
                key=key,
                subject=rendered.subject[:300],
                body_text=rendered.text,
                body_html=rendered.html,
                attachments=[
                    {"name": name, "type": mime, "b64": base64.b64encode(content).decode()}
                    for name, content, mime in attachments
                ],
                created_at=clock.now(),
            )
    except IntegrityError:  # the same key, queued by a concurrent report of the event
        return OutboundMail.objects.filter(key=key).first()
    from sprechzeit.notifications.tasks import mail_deliver_task  # noqa: PLC0415 - cycle

    mail_id = str(mail.pk)
    # robust: a broker outage must not fail the request; the sweep resends queued mail.
    transaction.on_commit(lambda: mail_deliver_task.delay(mail_id), robust=True)
    return mail


# RFC 5322: no line of a message over 998 octets; a part with a longer line keeps the
# email package's own choice (quoted-printable or base64).
MAX_LINE_OCTETS = 998


class Utf8Mail(EmailMultiAlternatives):
    """Text parts as 8bit UTF-8 instead of quoted-printable: a long link is never cut
    by soft line breaks or "=3D" (some clients and scanners follow the broken link)."""

    def message(self, *, policy: Any = None) -> Any:
        msg = super().message() if policy is None else super().message(policy=policy)
        for part in msg.walk():
            if part.get_content_maintype() != "text" or part.is_attachment():
                continue
            content = part.get_content()
            longest = max((len(line.encode()) for line in content.splitlines()), default=0)
            if longest <= MAX_LINE_OCTETS:
                part.set_content(
                    content, subtype=part.get_content_subtype(), charset="utf-8", cte="8bit"
                )
        return msg


def _message(mail: OutboundMail) -> EmailMultiAlternatives:
    message = Utf8Mail(
        subject=mail.subject,
        body=mail.body_text,
        from_email=mail.from_email,
        to=[mail.to_email],
        headers={"X-Sprechzeit-Mail": mail.template, "Auto-Submitted": "auto-generated"},
    )
    if mail.body_html:
        message.attach_alternative(mail.body_html, "text/html")
    for item in mail.attachments:
        message.attach(item["name"], base64.b64decode(item["b64"]), item["type"])
    return message


def mail_deliver(*, mail_id: uuid.UUID | str) -> bool:
    """Hand one queued mail to the backend; True if sent now. Sent mail is never sent
    again (row lock, status). A refusal is counted and raised as MailDeliveryFailed so
    the task retries."""
    failure: Exception | None = None
    with transaction.atomic():
        mail = OutboundMail.objects.select_for_update().filter(pk=mail_id).first()
        if mail is None or mail.status == OutboundMail.Status.SENT:
            return False
        mail.attempts += 1
        try:
            _message(mail).send()
        except (smtplib.SMTPException, OSError) as exc:
            failure = exc
            mail.last_error = str(exc)[:500]
        else:
            mail.status = OutboundMail.Status.SENT
            mail.sent_at = clock.now()
            mail.last_error = ""
            if mail.template in SECRET_TEMPLATES:
                mail.body_text = mail.body_html = ""
        mail.save()
    if failure is not None:
        raise MailDeliveryFailed() from failure
    return True


def mail_mark_failed(*, mail_id: uuid.UUID | str) -> None:
    """The task gave up: the mail shows as failed in the back office."""
    OutboundMail.objects.filter(pk=mail_id, status=OutboundMail.Status.QUEUED).update(
        status=OutboundMail.Status.FAILED
    )


def mails_queued_resend(*, older_than_seconds: int = 600) -> int:
    """Queue again what stayed queued (a broker outage at commit); returns how many."""
    from sprechzeit.notifications.tasks import mail_deliver_task  # noqa: PLC0415 - cycle

    cutoff = clock.now() - timedelta(seconds=older_than_seconds)
    ids = [
        str(pk)
        for pk in OutboundMail.objects.filter(
            status=OutboundMail.Status.QUEUED, created_at__lt=cutoff
        ).values_list("pk", flat=True)
    ]
    for mail_id in ids:
        mail_deliver_task.delay(mail_id)
    return len(ids)
