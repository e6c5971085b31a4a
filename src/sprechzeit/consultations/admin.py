"""Admin: tariff policies are edited here; consultations, holds, transcripts, ratings and
calls are read-only (every change goes through the services)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from sprechzeit.consultations.models import (
    ChatMessage,
    Consultation,
    ConsultationHold,
    PartnerPresence,
    PlatformTariffPolicy,
    Rating,
    VoiceCall,
    VoiceConfig,
)


@admin.register(PlatformTariffPolicy)
class PlatformTariffPolicyAdmin(admin.ModelAdmin[PlatformTariffPolicy]):
    list_display = (
        "platform",
        "increment_first_seconds",
        "increment_next_seconds",
        "grace_seconds",
        "connect_fee_minor",
        "max_duration_seconds",
    )


@admin.register(VoiceConfig)
class VoiceConfigAdmin(admin.ModelAdmin[VoiceConfig]):
    list_display = ("phone_number", "platform", "is_active", "id")


class ReadOnly(admin.ModelAdmin[Any]):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Consultation)
class ConsultationAdmin(ReadOnly):
    list_display = (
        "id",
        "platform",
        "listing",
        "channel",
        "status",
        "end_reason",
        "started_at",
        "duration_seconds",
        "amount_minor",
    )
    list_filter = ("status", "channel", "platform")
    search_fields = ("id", "client__customer_number", "listing__display_name")


admin.site.register(ConsultationHold, ReadOnly)
admin.site.register(ChatMessage, ReadOnly)
admin.site.register(Rating, ReadOnly)
admin.site.register(VoiceCall, ReadOnly)
admin.site.register(PartnerPresence, ReadOnly)
