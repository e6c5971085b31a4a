"""Read-only admin: accounts, transfers and remembered failures are never editable here;
corrections are new transfers booked through the services."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path

from sprechzeit.core.admin import ReadOnlyAdmin
from sprechzeit.ledger import selectors
from sprechzeit.ledger.models import Account, FailedTransfer, Transfer


@admin.register(Account)
class AccountAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "purpose",
        "type",
        "currency",
        "owner_type",
        "owner_id",
        "hot",
        "closed",
        "balance_posted",
        "balance_available",
    )
    list_filter = ("purpose", "type", "currency", "hot", "closed")
    search_fields = ("owner_id", "name")

    @admin.display(description="posted")
    def balance_posted(self, obj: Account) -> str:
        return str(selectors.account_balance(account=obj).posted)

    @admin.display(description="available")
    def balance_available(self, obj: Account) -> str:
        return str(selectors.account_balance(account=obj).available)

    def get_urls(self) -> list[URLPattern]:
        extra = [
            path(
                "trial-balance/",
                self.admin_site.admin_view(self.trial_balance_view),
                name="ledger_trial_balance",
            )
        ]
        return extra + super().get_urls()

    def trial_balance_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        context: dict[str, Any] = {
            **self.admin_site.each_context(request),
            "title": "Trial balance",
            "trial": selectors.trial_balance(),
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/ledger/trial_balance.html", context)


@admin.register(Transfer)
class TransferAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "kind",
        "debit_account",
        "credit_account",
        "amount",
        "currency",
        "purpose",
        "reference",
        "created_at",
    )
    list_filter = ("kind", "currency", "purpose")
    search_fields = ("reference",)
    date_hierarchy = "created_at"
    list_select_related = ("debit_account", "credit_account")


@admin.register(FailedTransfer)
class FailedTransferAdmin(ReadOnlyAdmin):
    list_display = ("id", "code", "created_at")
    list_filter = ("code",)
