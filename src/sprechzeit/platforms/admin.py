from django.contrib import admin

from sprechzeit.platforms.models import ContactMessage, LegalEntity, Platform, PlatformDomain


class PlatformDomainInline(admin.TabularInline[PlatformDomain, Platform]):
    model = PlatformDomain
    extra = 1


@admin.register(Platform)
class PlatformAdmin(admin.ModelAdmin[Platform]):
    list_display = [
        "name",
        "slug",
        "legal_entity",
        "vat_rate",
        "rate_min_minor",
        "rate_max_minor",
        "is_active",
    ]
    list_filter = ["is_active", "legal_entity"]
    search_fields = ["name", "slug", "domains__host"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [PlatformDomainInline]


@admin.register(LegalEntity)
class LegalEntityAdmin(admin.ModelAdmin[LegalEntity]):
    list_display = ["name", "city", "vat_id", "tax_number", "statement_period"]
    list_filter = ["statement_period"]
    search_fields = ["name", "vat_id"]


@admin.register(ContactMessage)
class ContactMessageAdmin(admin.ModelAdmin[ContactMessage]):
    list_display = ["created_at", "platform", "email", "subject", "handled"]
    list_filter = ["platform", "handled"]
    search_fields = ["email", "subject", "message"]
    readonly_fields = ["platform", "email", "subject", "message", "created_at"]
    list_editable = ["handled"]
