from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from sprechzeit.accounts.errors import RateOutOfRange
from sprechzeit.accounts.models import (
    Category,
    ClientAccount,
    Listing,
    Partner,
    PhonePinEvent,
    User,
)
from sprechzeit.accounts.phone_pin import client_pin_unlock
from sprechzeit.accounts.services import listing_check_rate

# What makes a login powerful: only a superuser sees or sets these, so a role holding
# `change_user` (support, admin) cannot raise anyone's rights, its own included.
PRIVILEGE_FIELDS = frozenset({"password", "is_staff", "is_superuser", "groups", "user_permissions"})


@admin.register(User)
class UserAdmin(DjangoUserAdmin[User]):
    """People. A non-superuser neither sees nor sets rights or passwords, and may change
    clients and partners only: a staff or superuser account is read-only to them."""

    ordering = ["email"]
    list_display = ["email", "kind", "platform", "get_full_name", "is_active", "is_staff"]
    list_filter = ["kind", "platform", "is_active", "is_staff", "groups"]
    search_fields = ["email", "first_name", "last_name"]
    fieldsets = (
        (None, {"fields": ("email", "password", "kind", "platform")}),
        (_("Person"), {"fields": ("first_name", "last_name", "language", "email_verified_at")}),
        (
            _("Rechte"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (_("Daten"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("email", "kind", "platform", "password1", "password2"),
            },
        ),
    )

    def get_fieldsets(self, request: HttpRequest, obj: User | None = None) -> Any:
        fieldsets = super().get_fieldsets(request, obj)
        if request.user.is_superuser or obj is None:
            return fieldsets
        return [
            (name, {**opts, "fields": [f for f in opts["fields"] if f not in PRIVILEGE_FIELDS]})
            for name, opts in fieldsets
        ]

    def get_readonly_fields(self, request: HttpRequest, obj: User | None = None) -> Any:
        fields = tuple(super().get_readonly_fields(request, obj))
        if request.user.is_superuser or obj is None:
            return fields
        # Who a person is (client of which platform, partner, staff) is not support's to change.
        return (*fields, "kind", "platform", "last_login", "date_joined")

    def has_change_permission(self, request: HttpRequest, obj: User | None = None) -> bool:
        if obj is not None and _privileged(obj) and not request.user.is_superuser:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: User | None = None) -> bool:
        if obj is not None and _privileged(obj) and not request.user.is_superuser:
            return False
        return super().has_delete_permission(request, obj)

    def user_change_password(
        self, request: HttpRequest, id: str, form_url: str = ""
    ) -> HttpResponse:
        if not request.user.is_superuser:
            raise PermissionDenied
        return super().user_change_password(request, id, form_url)


def _privileged(user: User) -> bool:
    return bool(user.is_staff or user.is_superuser or user.kind == User.Kind.STAFF)


class PhonePinEventInline(admin.TabularInline[PhonePinEvent, ClientAccount]):
    model = PhonePinEvent
    extra = 0
    can_delete = False
    fields = ["at", "kind", "call_ref", "by"]
    readonly_fields = ["at", "kind", "call_ref", "by"]
    ordering = ["-at"]

    # The record is read-only and part of the client account: whoever may see the
    # account (support) sees its PIN entries, without a permission of their own.
    def has_view_permission(self, request: HttpRequest, obj: ClientAccount | None = None) -> bool:
        return request.user.has_perm("accounts.view_clientaccount")

    def has_add_permission(self, request: HttpRequest, obj: ClientAccount | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: ClientAccount | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: ClientAccount | None = None) -> bool:
        return False


@admin.register(ClientAccount)
class ClientAccountAdmin(admin.ModelAdmin[ClientAccount]):
    list_display = ["customer_number", "user", "platform", "phone_pin_locked_at", "created_at"]
    list_filter = ["platform", ("phone_pin_locked_at", admin.EmptyFieldListFilter)]
    search_fields = ["customer_number", "user__email"]
    readonly_fields = ["phone_pin_hash", "phone_pin_locked_at"]
    raw_id_fields = ["user"]
    inlines = [PhonePinEventInline]
    actions = ["unlock_phone_pin"]

    def get_readonly_fields(self, request: HttpRequest, obj: ClientAccount | None = None) -> Any:
        fields = tuple(super().get_readonly_fields(request, obj))
        if request.user.is_superuser or obj is None:
            return fields
        # Whose account on which platform is fixed; support keeps the phone number.
        return (*fields, "user", "platform", "customer_number")

    @admin.action(description=_("Telefonzugang entsperren"), permissions=["change"])
    def unlock_phone_pin(self, request: HttpRequest, queryset: QuerySet[ClientAccount]) -> None:
        who = f"support:{request.user.pk}"
        unlocked = sum(client_pin_unlock(account=account, by=who) for account in queryset)
        self.message_user(
            request,
            ngettext(
                "%(count)d Telefonzugang entsperrt.",
                "%(count)d Telefonzugänge entsperrt.",
                unlocked,
            )
            % {"count": unlocked},
        )


class ListingInline(admin.StackedInline[Listing, Partner]):
    model = Listing
    extra = 0
    prepopulated_fields = {"slug": ["display_name"]}


@admin.register(Partner)
class PartnerAdmin(admin.ModelAdmin[Partner]):
    list_display = ["__str__", "user", "is_vetted", "created_at"]
    list_filter = ["is_vetted"]
    search_fields = ["user__email", "user__last_name", "listings__display_name"]
    raw_id_fields = ["user"]
    inlines = [ListingInline]


class ListingForm(forms.ModelForm[Listing]):
    class Meta:
        model = Listing
        fields = [
            "partner",
            "platform",
            "display_name",
            "slug",
            "headline",
            "description",
            "categories",
            "photo",
            "rate_minor",
            "revenue_share",
            "extension",
            "is_published",
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        platform, rate = data.get("platform"), data.get("rate_minor")
        if platform is not None and rate is not None:
            try:
                listing_check_rate(platform=platform, rate_minor=rate)
            except RateOutOfRange as exc:
                raise ValidationError(
                    {
                        "rate_minor": _("Der Preis muss zwischen %(min)s und %(max)s Cent liegen.")
                        % {"min": exc.fields["min_minor"], "max": exc.fields["max_minor"]}
                    }
                ) from exc
        return data


@admin.register(Listing)
class ListingAdmin(admin.ModelAdmin[Listing]):
    form = ListingForm
    list_display = ["display_name", "platform", "partner", "rate_minor", "is_published"]
    list_filter = ["platform", "is_published", "categories"]
    search_fields = ["display_name", "partner__user__email"]
    prepopulated_fields = {"slug": ["display_name"]}
    filter_horizontal = ["categories"]

    def get_readonly_fields(self, request: HttpRequest, obj: Listing | None = None) -> Any:
        fields = tuple(super().get_readonly_fields(request, obj))
        if request.user.has_perm("accounts.add_listing") or obj is None:
            return fields
        # Support moderates the profile's content; whose listing it is, where, and what it
        # earns (rate, share) stay with the admin role.
        return (*fields, "partner", "platform", "rate_minor", "revenue_share", "extension")


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin[Category]):
    list_display = ["name", "platform", "slug"]
    list_filter = ["platform"]
    prepopulated_fields = {"slug": ["name"]}
