"""Pushes to open screens, always after commit (a rolled-back change is never shown).

Groups: `consultation.<hex id>` (both participants' sockets, on any server process),
`partner.<id>` (the partner's request channel), `presence.<platform id>` (directory
pages). Event types map to consumer methods (`consultation.ended` →
`consultation_ended`); `consultations.protocol` types every event.
"""

from __future__ import annotations

import uuid

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from sprechzeit.consultations.protocol import GroupEvent


def consultation_group(consultation_id: uuid.UUID | str) -> str:
    return f"consultation.{uuid.UUID(str(consultation_id)).hex}"


def partner_group(partner_id: int) -> str:
    return f"partner.{partner_id}"


def presence_group(platform_id: int) -> str:
    return f"presence.{platform_id}"


def send_now(group: str, event: GroupEvent) -> None:
    layer = get_channel_layer()
    if layer is not None:
        async_to_sync(layer.group_send)(group, event)


def send_on_commit(group: str, event: GroupEvent) -> None:
    transaction.on_commit(lambda: send_now(group, event))
