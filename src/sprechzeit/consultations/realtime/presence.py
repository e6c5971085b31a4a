"""`/ws/presence/?listing=<id>&listing=<id>`: a directory page of the request's
platform hears when one of these listings turns online, busy or offline."""

from __future__ import annotations

from urllib.parse import parse_qs

from sprechzeit.consultations import events
from sprechzeit.consultations.protocol import (
    CLOSE_BAD_REQUEST,
    CLOSE_NOT_FOUND,
    ListingsPresenceFrame,
    PresenceChangedEvent,
)
from sprechzeit.consultations.realtime.base import Consumer, db
from sprechzeit.consultations.selectors import listings_availability, platform_for_socket_host
from sprechzeit.core.inputs import InvalidInput, ids_parse
from sprechzeit.platforms.models import Platform


class PresenceConsumer(Consumer):
    """Anonymous; the platform is the request's host (unknown: close 4404)."""

    platform: Platform
    listing_ids: list[int]
    group: str

    async def connect(self) -> None:
        headers = dict(self.scope.get("headers", []))
        host = headers.get(b"host", b"").decode("latin-1")
        query = parse_qs(self.scope.get("query_string", b"").decode("latin-1"))
        try:  # the socket twin of /verfuegbarkeit/: the same bounded ids, or 4400
            ids = ids_parse(query.get("listing", []), field="listing", limit=200)
        except InvalidInput:
            await self.close(code=CLOSE_BAD_REQUEST)
            return
        platform = await db(platform_for_socket_host, host)
        if platform is None:
            await self.close(code=CLOSE_NOT_FOUND)
            return
        self.platform = platform
        self.listing_ids = ids
        self.group = events.presence_group(platform.pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        await self._push()

    async def disconnect(self, code: int) -> None:
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def presence_changed(self, event: PresenceChangedEvent) -> None:
        await self._push()

    async def _push(self) -> None:
        availability = await db(listings_availability, self.platform, listing_ids=self.listing_ids)
        frame: ListingsPresenceFrame = {
            "type": "presence",
            "listings": {str(k): v for k, v in availability.items()},
        }
        await self.send_json(frame)
