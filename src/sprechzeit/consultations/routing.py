"""WebSocket routes of consultations (chat, live meter, partner requests)."""

from __future__ import annotations

from typing import Any

from django.urls import path

from sprechzeit.consultations.realtime.consultation import ConsultationConsumer
from sprechzeit.consultations.realtime.partner_requests import PartnerRequestsConsumer
from sprechzeit.consultations.realtime.presence import PresenceConsumer

websocket_urlpatterns: list[Any] = [
    path("ws/consultations/<uuid:consultation_id>/", ConsultationConsumer.as_asgi()),
    path("ws/partner/requests/", PartnerRequestsConsumer.as_asgi()),
    path("ws/presence/", PresenceConsumer.as_asgi()),
]
