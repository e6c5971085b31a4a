"""Admin: tariff policies are edited here; consultations, holds, transcripts, ratings and
calls are read-only (every change goes through the services)."""

from __future__ import annotations

from django.contrib import admin

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
from sprechzeit.core.admin import ReadOnlyAdmin


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


@admin.register(Consultation)
class ConsultationAdmin(ReadOnlyAdmin):
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


admin.site.register(ConsultationHold, ReadOnlyAdmin)
admin.site.register(ChatMessage, ReadOnlyAdmin)
admin.site.register(Rating, ReadOnlyAdmin)
admin.site.register(VoiceCall, ReadOnlyAdmin)
admin.site.register(PartnerPresence, ReadOnlyAdmin)
