"""Contact messages: staff answer from the console (a branded mail, the thread kept) and
close or reopen a message."""

from __future__ import annotations

from django.db import transaction

from sprechzeit.accounts import roles
from sprechzeit.accounts.models import User
from sprechzeit.audit.services import audit_record
from sprechzeit.core import clock
from sprechzeit.notifications.services import mail_send
from sprechzeit.platforms.models import ContactMessage
from sprechzeit.support.errors import ReplyEmpty
from sprechzeit.support.models import ContactReply
from sprechzeit.support.selectors import contact_client
from sprechzeit.support.services.common import require_role

CONTACT_ROLES = frozenset({roles.SUPPORT, roles.ADMIN})


@transaction.atomic
def contact_reply_send(
    *, actor: User, message: ContactMessage, body: str, close: bool = True, ip: str | None = None
) -> ContactReply:
    """Answer `message` by mail in its platform's brand (to the client's account when the
    sender is a known client of that platform: their language), keep the answer in the
    thread and, with `close`, mark the message handled. The mail quotes nothing of the
    message: the form does not prove the address belongs to its sender."""
    require_role(actor, CONTACT_ROLES)
    text = body.strip()
    if not text:
        raise ReplyEmpty()
    message = ContactMessage.objects.select_for_update().get(pk=message.pk)
    reply = ContactReply.objects.create(
        message=message, author=actor, body=text, created_at=clock.now()
    )
    client = contact_client(message)
    mail = mail_send(
        platform=message.platform,
        to=client.user if client is not None else message.email,
        template="contact_reply",
        context={"subject": message.subject, "body": text},
        key=f"contact-reply:{reply.pk}",
    )
    reply.mail = mail
    reply.save(update_fields=["mail"])
    was_handled = message.handled
    if close and not message.handled:
        message.handled = True
        message.save(update_fields=["handled"])
    audit_record(
        actor=actor,
        action="contact.reply",
        target=message,
        platform=message.platform,
        before={"handled": was_handled},
        after={"handled": message.handled, "reply": reply.pk, "to": mail.to_email if mail else ""},
        ip=ip,
    )
    return reply


@transaction.atomic
def contact_message_set_handled(
    *, actor: User, message: ContactMessage, handled: bool, ip: str | None = None
) -> ContactMessage:
    """Close (handled) or reopen a contact message without an answer (spam, settled by
    phone)."""
    require_role(actor, CONTACT_ROLES)
    message = ContactMessage.objects.select_for_update().get(pk=message.pk)
    before = message.handled
    message.handled = handled
    message.save(update_fields=["handled"])
    audit_record(
        actor=actor,
        action="contact.close" if handled else "contact.reopen",
        target=message,
        platform=message.platform,
        before={"handled": before},
        after={"handled": handled},
        ip=ip,
    )
    return message
