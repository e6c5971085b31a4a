"""Chat lines of a live consultation (one insert each)."""

from __future__ import annotations

from datetime import datetime
from typing import Final

from sprechzeit.consultations.errors import InvalidMessage, InvalidTransition
from sprechzeit.consultations.models import ChatMessage, Consultation
from sprechzeit.consultations.services.common import moment_of

MAX_MESSAGE_LENGTH: Final = 4000


def chat_message_create(
    *, consultation: Consultation, role: str, body: str, now: datetime | None = None
) -> ChatMessage:
    """Store one chat line of a live consultation (the caller has checked that the
    sender takes part in `role`)."""
    body = body.strip()
    if not body or len(body) > MAX_MESSAGE_LENGTH:
        raise InvalidMessage(max_length=MAX_MESSAGE_LENGTH)
    if consultation.status != Consultation.Status.LIVE:
        raise InvalidTransition(status=consultation.status, allowed=[Consultation.Status.LIVE])
    return ChatMessage.objects.create(
        consultation=consultation,
        sender=ChatMessage.Sender(role),
        body=body,
        sent_at=moment_of(now),
    )
