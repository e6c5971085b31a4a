"""Admin of collections: the platforms' dunning plans and risk settings (the admin
role configures them), write-offs read-only (the accountant's record). Cases, plans
and decisions are worked in the back office's risk queues."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin

from sprechzeit.collections.models import DunningPlan, RiskSettings, WriteOff
from sprechzeit.collections.services.dunning import plan_problems
from sprechzeit.core.admin import ReadOnlyAdmin


class DunningPlanForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = DunningPlan
        fields = (
            "platform",
            "reminder_days",
            "write_off_after_days",
            "instalment_grace_days",
            "enabled",
        )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        candidate = DunningPlan(
            reminder_days=cleaned.get("reminder_days"),
            write_off_after_days=cleaned.get("write_off_after_days") or 0,
        )
        for problem in plan_problems(candidate):
            self.add_error("reminder_days", problem)
        return cleaned


@admin.register(DunningPlan)
class DunningPlanAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    form = DunningPlanForm
    list_display = ("platform", "reminder_days", "write_off_after_days", "enabled")


@admin.register(RiskSettings)
class RiskSettingsAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("platform", "refund_four_eyes_minor", "dispute_sla_hours", "refund_sla_hours")


@admin.register(WriteOff)
class WriteOffAdmin(ReadOnlyAdmin):
    list_display = ("written_off_at", "platform", "client_account", "amount_minor", "by", "reason")
    list_filter = ("platform",)
