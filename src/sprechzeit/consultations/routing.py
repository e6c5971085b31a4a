"""WebSocket routes of consultations (chat, live meter, partner requests)."""

from __future__ import annotations

from typing import Any

from django.urls import path

from sprechzeit.consultations.realtime.consumers import (
    ConsultationConsumer,
    PartnerRequestsConsumer,
    PresenceConsumer,
)

websocket_urlpatterns: list[Any] = [
    path("ws/consultations/<uuid:consultation_id>/", ConsultationConsumer.as_asgi()),
    path("ws/partner/requests/", PartnerRequestsConsumer.as_asgi()),
    path("ws/presence/", PresenceConsumer.as_asgi()),
]
