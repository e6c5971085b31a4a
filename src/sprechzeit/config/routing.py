"""WebSocket routes of every app, gathered in one list (chat and live meter come later)."""

from __future__ import annotations

from typing import Any

from django.urls import path

from sprechzeit.consultations.routing import websocket_urlpatterns as consultation_routes
from sprechzeit.site.consumers import PingConsumer

websocket_urlpatterns: list[Any] = [
    path("ws/ping/", PingConsumer.as_asgi()),
    *consultation_routes,
]
