"""Staff pages: payout runs with their SEPA file, payouts (returns filterable), imported
bank lines (unmatched ones filterable), the payout policy per entity."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from sprechzeit.payouts.models import BankLine, Payout, PayoutPolicy, PayoutRun


class ReadOnly(admin.ModelAdmin[Any]):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(PayoutRun)
class PayoutRunAdmin(ReadOnly):
    list_display = (
        "message_id",
        "legal_entity",
        "execution_date",
        "count",
        "total_minor",
        "download",
        "created_at",
    )
    exclude = ("file",)

    @admin.display(description=_("SEPA-Datei"))
    def download(self, run: PayoutRun) -> str:
        return format_html(
            '<a href="{}">pain.001</a>', reverse("payouts:staff_file", args=[run.pk])
        )


@admin.register(Payout)
class PayoutAdmin(ReadOnly):
    list_display = (
        "end_to_end_id",
        "partner",
        "amount_minor",
        "iban",
        "status",
        "return_reason",
        "created_at",
    )
    list_filter = ("status",)
    search_fields = ("end_to_end_id", "partner__user__email", "iban")


@admin.register(BankLine)
class BankLineAdmin(ReadOnly):
    list_display = (
        "end_to_end_id",
        "amount_minor",
        "credit",
        "reason_code",
        "outcome",
        "imported_at",
    )
    list_filter = ("outcome",)


@admin.register(PayoutPolicy)
class PayoutPolicyAdmin(admin.ModelAdmin[PayoutPolicy]):
    list_display = ("legal_entity", "threshold_minor", "execution_days")
