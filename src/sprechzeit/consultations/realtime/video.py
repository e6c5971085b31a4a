"""The room socket's part in a video consultation: the media info in `hello`, the WebRTC
signalling relayed between the two participants (never stored, never sent to anyone
else: the consultation's group holds only their sockets, and the sender's own socket
drops its echo), fresh ICE servers, and the fall-back to chat.

Billing does not know about the media: the meter, warnings, top-ups and the cut-off are
the chat's. At the end (`ended`) both browsers close their peer connection.
"""

from __future__ import annotations

from datetime import datetime

from sprechzeit.consultations.errors import InvalidTransition
from sprechzeit.consultations.media import ice_servers, signal_clean
from sprechzeit.consultations.meter import Meter
from sprechzeit.consultations.models import Consultation
from sprechzeit.consultations.protocol import (
    MediaFallbackEvent,
    MediaFallbackFrame,
    MediaState,
    Role,
    SignalEvent,
)
from sprechzeit.consultations.realtime.base import Consumer, db
from sprechzeit.consultations.selectors import consultation_by_id
from sprechzeit.consultations.services.video import consultation_media_fallback

MEDIA_KINDS = frozenset({"signal", "media.ice", "media.fallback"})


def media_state(consultation: Consultation, role: Role, now: datetime) -> MediaState | None:
    """`hello.media`: None unless a video consultation."""
    if consultation.channel != Consultation.Channel.VIDEO:
        return None
    fallback = consultation.media_fallback_reason if consultation.media_fallback_at else None
    if fallback is not None or consultation.status not in Consultation.OPEN:
        # No credentials for media that will not run any more.
        return {"ice_servers": [], "expires_at": None, "fallback": fallback}
    return {**ice_servers(consultation=consultation, role=role, now=now), "fallback": None}


class VideoRoom(Consumer):
    """What the room consumer (`realtime.consultation`) adds for video consultations."""

    consultation: Consultation
    role: Role
    group: str
    meter: Meter

    async def media_receive(self, kind: str, content: dict[str, object], now: datetime) -> None:
        """A browser's `signal`, `media.ice` or `media.fallback` frame."""
        if self.consultation.channel != Consultation.Channel.VIDEO:
            raise InvalidTransition(channel=self.consultation.channel)
        if kind == "media.fallback":
            fresh = await db(consultation_by_id, self.consultation.pk)
            self.consultation, _recorded = await db(
                consultation_media_fallback,
                consultation=fresh,
                role=self.role,
                reason=str(content.get("reason", "")),
                now=now,
            )
            return
        status = self.meter.status  # the consultation row here is as it was at connect
        if self.consultation.media_fallback_at is not None or status not in Consultation.OPEN:
            raise InvalidTransition(status=status)
        if kind == "media.ice":
            info = ice_servers(consultation=self.consultation, role=self.role, now=now)
            await self.send_json({"type": "media.ice", **info})
            return
        payload = signal_clean(content)
        if status != Consultation.Status.LIVE:
            # The media starts when the partner has accepted (and the meter runs).
            raise InvalidTransition(status=status)
        event: SignalEvent = {"type": "media.signal", "sender": self.role, "payload": dict(payload)}
        await self.channel_layer.group_send(self.group, event)

    async def media_signal(self, event: SignalEvent) -> None:
        if event["sender"] == self.role:
            return  # the group echoes to the sender's own socket
        await self.send_json({"type": "signal", **event["payload"]})

    async def media_fallback(self, event: MediaFallbackEvent) -> None:
        self.consultation.media_fallback_at = datetime.fromisoformat(event["at"])
        self.consultation.media_fallback_reason = event["reason"]
        frame: MediaFallbackFrame = {
            "type": "media.fallback",
            "role": event["role"],
            "reason": event["reason"],
            "at": event["at"],
        }
        await self.send_json(frame)
