"""Staff views of wallets: settings per platform, blocked clients and receivables."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from sprechzeit.audit.admin import AuditedActions
from sprechzeit.wallets import selectors, services
from sprechzeit.wallets.models import WalletSettings, WalletState, WelcomeCreditGrant


@admin.register(WalletSettings)
class WalletSettingsAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = (
        "platform",
        "welcome_credit_minor",
        "welcome_credit_on",
        "default_deposit_limit_minor",
        "limit_raise_cooling_hours",
    )


class BlockedFilter(admin.SimpleListFilter):
    title = _("gesperrt")
    parameter_name = "blocked"

    def lookups(self, request: HttpRequest, model_admin: object) -> list[tuple[str, str]]:
        return [("yes", str(_("gesperrt"))), ("no", str(_("nicht gesperrt")))]

    def queryset(
        self, request: HttpRequest, queryset: QuerySet[WalletState]
    ) -> QuerySet[WalletState]:
        if self.value() == "yes":
            return queryset.filter(blocked_at__isnull=False)
        if self.value() == "no":
            return queryset.filter(blocked_at__isnull=True)
        return queryset


class ReceivableFilter(admin.SimpleListFilter):
    """Clients with a negative balance: what they owe is a receivable of the operator."""

    title = _("Forderung")
    parameter_name = "receivable"

    def lookups(self, request: HttpRequest, model_admin: object) -> list[tuple[str, str]]:
        return [("open", str(_("offen")))]

    def queryset(
        self, request: HttpRequest, queryset: QuerySet[WalletState]
    ) -> QuerySet[WalletState]:
        if self.value() != "open":
            return queryset
        return queryset.filter(client_account_id__in=selectors.clients_with_receivable())


@admin.register(WalletState)
class WalletStateAdmin(AuditedActions):
    """Blocked clients and receivables (negative balances) for staff."""

    list_display = (
        "client_account",
        "balance_total",
        "receivable",
        "blocked_at",
        "blocked_reason",
        "deposit_limit_minor",
        "excluded_until",
    )
    list_filter = (BlockedFilter, ReceivableFilter)
    search_fields = ("client_account__customer_number", "client_account__user__email")
    readonly_fields = ("client_account", "created_at", "trusted_at", "blocked_at")
    actions = ("unblock", "write_off")

    def get_readonly_fields(self, request: HttpRequest, obj: object | None = None) -> Any:
        """Risk decides through the actions (unblock, write off); a limit or a
        self-exclusion is the client's, never edited in a form by staff."""
        if request.user.is_superuser:
            return self.readonly_fields
        return [field.name for field in WalletState._meta.fields]

    @admin.display(description=_("Guthaben"))
    def balance_total(self, obj: WalletState) -> str:
        return str(services.wallet_balance(client_account=obj.client_account).total)

    @admin.display(description=_("Forderung"))
    def receivable(self, obj: WalletState) -> str:
        return str(services.wallet_balance(client_account=obj.client_account).receivable)

    @admin.action(description=_("Sperre aufheben"), permissions=["change"])
    def unblock(self, request: HttpRequest, queryset: QuerySet[WalletState]) -> None:
        for state in queryset:
            services.wallet_unblock(client_account=state.client_account)
        self.message_user(request, _("Sperre aufgehoben."), messages.SUCCESS)

    @admin.action(description=_("Forderung als Verlust ausbuchen"), permissions=["change"])
    def write_off(self, request: HttpRequest, queryset: QuerySet[WalletState]) -> None:
        for state in queryset:
            services.wallet_write_off(client_account=state.client_account, id=uuid.uuid4())
        self.message_user(request, _("Forderungen ausgebucht."), messages.SUCCESS)


@admin.register(WelcomeCreditGrant)
class WelcomeCreditGrantAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("client_account", "email", "fingerprint", "amount_minor", "granted_at")
    search_fields = ("email", "fingerprint")

    def has_change_permission(self, request: HttpRequest, obj: object | None = None) -> bool:
        return False
