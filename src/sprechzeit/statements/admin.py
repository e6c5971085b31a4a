"""Staff pages: close runs with progress, statements (held ones with their reason),
downloads of PDF and XML, partner tax data. Issued documents are read-only."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from sprechzeit.statements.models import Adjustment, CloseRun, PartnerTaxProfile, Statement


@admin.register(CloseRun)
class CloseRunAdmin(admin.ModelAdmin[CloseRun]):
    list_display = (
        "period_start",
        "status",
        "total",
        "issued",
        "held",
        "started_at",
        "finished_at",
    )
    list_filter = ("status",)
    readonly_fields = [field.name for field in CloseRun._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(Statement)
class StatementAdmin(admin.ModelAdmin[Statement]):
    list_display = (
        "number",
        "kind",
        "partner",
        "legal_entity",
        "period_start",
        "status",
        "gross_minor",
        "held_reason",
        "downloads",
    )
    list_filter = ("status", "kind", "period_start", "legal_entity")
    search_fields = ("number", "partner__user__email")
    exclude = ("xml", "pdf")
    readonly_fields = (
        "partner",
        "legal_entity",
        "run",
        "kind",
        "status",
        "period_start",
        "period_end",
        "cancels",
        "held_reason",
        "number",
        "issue_date",
        "vat_status",
        "net_minor",
        "vat_minor",
        "gross_minor",
        "xml_sha256",
        "pdf_sha256",
        "data",
        "downloads",
    )

    @admin.display(description=_("Dateien"))
    def downloads(self, statement: Statement) -> str:
        if statement.number is None:
            return "–"
        return format_html(
            '<a href="{}">PDF</a> · <a href="{}">XML</a>',
            reverse("statements:staff_download", args=[statement.pk, "pdf"]),
            reverse("statements:staff_download", args=[statement.pk, "xml"]),
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(PartnerTaxProfile)
class PartnerTaxProfileAdmin(admin.ModelAdmin[PartnerTaxProfile]):
    list_display = (
        "legal_name",
        "partner",
        "vat_status",
        "iban",
        "iban_verified_at",
        "payout_blocked_reason",
    )
    list_filter = ("vat_status",)
    search_fields = ("legal_name", "partner__user__email", "iban")


@admin.register(Adjustment)
class AdjustmentAdmin(admin.ModelAdmin[Adjustment]):
    list_display = (
        "partner",
        "platform",
        "kind",
        "amount_minor",
        "description",
        "statement",
        "created_at",
    )
    readonly_fields = [field.name for field in Adjustment._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
