"""`/ws/partner/requests/`: incoming requests for the logged-in partner (on all
platforms), with accept / decline, and the partner's online switch. The protocol:
`docs/websocket-protocol.md`, typed in `consultations.protocol`."""

from __future__ import annotations

from sprechzeit.accounts.models import Partner
from sprechzeit.consultations import events
from sprechzeit.consultations.protocol import (
    CLOSE_FORBIDDEN,
    AnswerFrame,
    ErrorFrame,
    HeartbeatAckFrame,
    PresenceChangedEvent,
    PresenceStatusFrame,
    RequestClosedEvent,
    RequestClosedFrame,
    RequestFrame,
    RequestNewEvent,
    RequestsHelloFrame,
)
from sprechzeit.consultations.realtime import timebase
from sprechzeit.consultations.realtime.base import Consumer, db, error_frame
from sprechzeit.consultations.selectors import (
    consultation_of_partner,
    partner_for_user,
    request_summaries_open,
    request_summary,
)
from sprechzeit.consultations.services.lifecycle import consultation_accept, consultation_decline
from sprechzeit.consultations.services.presence import presence_set
from sprechzeit.core.errors import DomainError

MALFORMED: ErrorFrame = {"type": "error", "code": "malformed", "message": "", "fields": {}}
UNKNOWN_TYPE: ErrorFrame = {"type": "error", "code": "unknown_type", "message": "", "fields": {}}


class PartnerRequestsConsumer(Consumer):
    """`/ws/partner/requests/`: the partner's request channel."""

    partner: Partner
    group: str

    async def connect(self) -> None:
        partner = await db(partner_for_user, self.scope.get("user"))
        if partner is None:
            await self.close(code=CLOSE_FORBIDDEN)
            return
        self.partner = partner
        self.group = events.partner_group(partner.pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        hello: RequestsHelloFrame = {
            "type": "hello",
            "requests": await db(request_summaries_open, partner=partner),
        }
        await self.send_json(hello)

    async def disconnect(self, code: int) -> None:
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_json(self, content: object, **kwargs: object) -> None:
        if not isinstance(content, dict):
            await self.send_json(MALFORMED)
            return
        kind = content.get("type")
        now = timebase.current().now()
        try:
            if kind in ("accept", "decline"):
                consultation = await db(
                    consultation_of_partner,
                    partner=self.partner,
                    consultation_id=str(content.get("consultation", "")),
                )
                accept = kind == "accept"
                service = consultation_accept if accept else consultation_decline
                result = await db(service, consultation=consultation, partner=self.partner, now=now)
                answer: AnswerFrame = {
                    "type": "accepted" if accept else "declined",
                    "consultation": str(result.pk),
                    "status": result.status,
                }
                await self.send_json(answer)
            elif kind == "presence":
                presence = await db(
                    presence_set,
                    partner=self.partner,
                    status=str(content.get("status", "")),
                    now=now,
                )
                status: PresenceStatusFrame = {"type": "presence", "status": presence.status}
                await self.send_json(status)
            elif kind == "heartbeat":
                ack: HeartbeatAckFrame = {"type": "heartbeat.ack", "at": now.isoformat()}
                await self.send_json(ack)
            else:
                await self.send_json(UNKNOWN_TYPE)
        except DomainError as exc:
            await self.send_json(error_frame(exc))
        except ValueError:
            await self.send_json(MALFORMED)

    async def request_new(self, event: RequestNewEvent) -> None:
        summary = await db(request_summary, event["consultation"])
        if summary is not None:
            frame: RequestFrame = {"type": "request", **summary}
            await self.send_json(frame)

    async def request_closed(self, event: RequestClosedEvent) -> None:
        frame: RequestClosedFrame = {
            "type": "request.closed",
            "consultation": event["consultation"],
            "status": event["status"],
        }
        await self.send_json(frame)

    async def presence_changed(self, event: PresenceChangedEvent) -> None:
        return None
