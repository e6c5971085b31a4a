from __future__ import annotations

import json
from typing import Any

from channels.generic.websocket import AsyncWebsocketConsumer


class PingConsumer(AsyncWebsocketConsumer):  # type: ignore[misc]
    """A liveness probe for the WebSocket path: answers every message with a pong."""

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        payload: dict[str, Any] = {"type": "pong"}
        if text_data:
            try:
                payload["echo"] = json.loads(text_data)
            except json.JSONDecodeError:
                payload = {"type": "error", "code": "malformed_json"}
        await self.send(text_data=json.dumps(payload))
