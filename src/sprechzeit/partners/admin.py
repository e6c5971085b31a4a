"""Raw pages for superusers and the admin role: each platform's partner settings. The
work (applications, reviews, adjustments, payout runs) happens in the console
(`backoffice/partners`)."""

from __future__ import annotations

from django.contrib import admin

from sprechzeit.partners.models import PartnerSettings


@admin.register(PartnerSettings)
class PartnerSettingsAdmin(admin.ModelAdmin[PartnerSettings]):
    list_display = ("platform", "review_listing_edits", "adjustment_limit_minor")
