"""Legal texts in the back office: issued versions are read-only; "add" (also from an
existing version, prefilled) issues the next version through the service."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from sprechzeit.accounts.models import User
from sprechzeit.core import clock
from sprechzeit.legal.models import Consent, LegalDocument
from sprechzeit.legal.services import legal_document_issue

COPIED_FIELDS = ("platform", "kind", "title_de", "text_de", "title_en", "text_en")


class LegalDocumentIssueForm(forms.ModelForm[LegalDocument]):
    class Meta:
        model = LegalDocument
        fields = [*COPIED_FIELDS, "valid_from"]


@admin.register(LegalDocument)
class LegalDocumentAdmin(admin.ModelAdmin[LegalDocument]):
    form = LegalDocumentIssueForm
    list_display = ["platform", "kind", "version", "title_de", "valid_from", "created_by"]
    list_filter = ["platform", "kind"]
    search_fields = ["title_de", "text_de"]
    readonly_fields = ["version", "created_at", "created_by"]
    change_form_template = "legal/admin_change_form.html"

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # issued versions are immutable; a new text is a new version

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # consents point at them

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        """ "New version of …": prefill from ?from=<id>, valid from now."""
        initial: dict[str, Any] = {"valid_from": clock.now()}
        source = LegalDocument.objects.filter(pk=request.GET.get("from") or 0).first()
        if source is not None:
            initial.update({name: getattr(source, name) for name in COPIED_FIELDS})
            initial["platform"] = source.platform_id
        return initial

    def save_model(self, request: HttpRequest, obj: LegalDocument, form: Any, change: bool) -> None:
        issued = legal_document_issue(
            platform=obj.platform,
            kind=obj.kind,
            title_de=obj.title_de,
            text_de=obj.text_de,
            title_en=obj.title_en,
            text_en=obj.text_en,
            valid_from=obj.valid_from,
            by=request.user if isinstance(request.user, User) else None,
        )
        obj.pk, obj.version, obj.created_at = issued.pk, issued.version, issued.created_at
        obj.created_by = issued.created_by


@admin.register(Consent)
class ConsentAdmin(admin.ModelAdmin[Consent]):
    list_display = ["at", "user", "document", "purpose", "ip"]
    list_filter = ["purpose", "document__platform", "document__kind"]
    search_fields = ["user__email"]
    list_select_related = ["user", "document", "document__platform"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Consent]:
        return super().get_queryset(request).select_related("document")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
