"""Staff views: payments (sandbox chargeback), inbox entries (reprocess), bank
statements and the review queue, refund requests (approve), disputes, channels."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path
from django.utils.translation import gettext_lazy as _

from sprechzeit.audit.admin import AuditedActions
from sprechzeit.core.admin import ReadOnlyAdmin
from sprechzeit.core.errors import DomainError
from sprechzeit.payments.models import (
    BankEntry,
    BankEntryStatus,
    BankStatement,
    ChannelPolicy,
    Dispute,
    InboxEntry,
    InboxStatus,
    Payment,
    PaymentStatus,
    ProviderConfig,
    ProviderKind,
    Refund,
    RefundRequest,
    RefundRequestStatus,
    TransferReference,
)
from sprechzeit.payments.services import bank, bookings, inbox, refunds
from sprechzeit.payments.services.sandbox import sandbox_deliver


@admin.register(ProviderConfig)
class ProviderConfigAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = (
        "id",
        "platform",
        "kind",
        "name",
        "is_active",
        "live",
        "secret_env",
        "webhook_secret_env",
    )
    list_filter = ("kind", "platform", "is_active")


@admin.register(ChannelPolicy)
class ChannelPolicyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = (
        "platform",
        "channel",
        "provider_config",
        "enabled",
        "min_minor",
        "max_minor",
        "fee_fixed_minor",
        "fee_percent",
        "requires_trusted",
        "slow",
        "credit_on",
    )
    list_filter = ("platform", "channel", "enabled")


@admin.register(Payment)
class PaymentAdmin(AuditedActions, ReadOnlyAdmin):
    list_display = (
        "id",
        "created_at",
        "platform",
        "client_account",
        "channel",
        "amount_minor",
        "status",
        "credited_at",
        "refunded_minor",
        "charged_back_minor",
    )
    list_filter = ("status", "channel", "platform", "provider_config__kind")
    search_fields = ("id", "external_id", "external_ref", "client_account__customer_number")
    actions = ("sandbox_chargeback", "sandbox_settle", "record_chargeback")

    def has_decide_permission(self, request: HttpRequest) -> bool:
        """Chargebacks are the risk role's decision (`accounts.roles`)."""
        return bool(request.user.has_perm("payments.change_payment"))

    @admin.action(
        description=_("Testkasse: Rückbuchung auslösen (TESTMODUS)"), permissions=["decide"]
    )
    def sandbox_chargeback(self, request: HttpRequest, queryset: QuerySet[Payment]) -> None:
        done = 0
        for payment in queryset.filter(
            provider_config__kind=ProviderKind.SANDBOX, status=PaymentStatus.SUCCEEDED
        ):
            # Opened, not lost: risk staff decide the outcome in the console's queue.
            sandbox_deliver(
                payment=payment, event_type="dispute.opened", dispute_id=f"staff-{payment.pk}"
            )
            done += 1
        self.message_user(
            request, _("Rückbuchungen ausgelöst: %(n)d") % {"n": done}, messages.SUCCESS
        )

    @admin.action(
        description=_("Rückbuchung erfassen (vom Anbieter per Post oder E-Mail gemeldet)"),
        permissions=["decide"],
    )
    def record_chargeback(self, request: HttpRequest, queryset: QuerySet[Payment]) -> None:
        for payment in queryset.filter(status=PaymentStatus.SUCCEEDED, credited_at__isnull=False):
            try:
                bookings.payment_chargeback(
                    payment=payment, dispute_id=f"manual:{payment.pk}", amount=None, reason="manual"
                )
            except DomainError as exc:
                self.message_user(request, str(exc.message), messages.ERROR)
        self.message_user(request, _("Rückbuchungen erfasst."), messages.SUCCESS)

    @admin.action(
        description=_("Testkasse: ausstehende Zahlung buchen (TESTMODUS)"), permissions=["decide"]
    )
    def sandbox_settle(self, request: HttpRequest, queryset: QuerySet[Payment]) -> None:
        for payment in queryset.filter(
            provider_config__kind=ProviderKind.SANDBOX, status=PaymentStatus.PENDING
        ):
            sandbox_deliver(payment=payment, event_type="payment.succeeded")
        self.message_user(request, _("Erledigt."), messages.SUCCESS)


@admin.register(InboxEntry)
class InboxEntryAdmin(AuditedActions, ReadOnlyAdmin):
    list_display = (
        "received_at",
        "provider_config",
        "event_type",
        "external_id",
        "status",
        "deliveries",
        "payment",
    )
    list_filter = ("status", "provider_config__kind")
    search_fields = ("external_id", "event_type", "raw_body")
    actions = ("reprocess",)

    def has_decide_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.has_perm("payments.change_inboxentry"))

    @admin.action(description=_("Erneut verarbeiten"), permissions=["decide"])
    def reprocess(self, request: HttpRequest, queryset: QuerySet[InboxEntry]) -> None:
        for entry in queryset.filter(status__in=[InboxStatus.REVIEW, InboxStatus.FAILED]):
            InboxEntry.objects.filter(pk=entry.pk).update(status=InboxStatus.RECEIVED)
            inbox.inbox_process(entry_id=int(entry.pk))
        self.message_user(request, _("Erneut verarbeitet."), messages.SUCCESS)


@admin.register(Dispute)
class DisputeAdmin(ReadOnlyAdmin):
    list_display = (
        "opened_at",
        "payment",
        "external_id",
        "amount_minor",
        "fee_minor",
        "status",
        "debited",
        "restored",
    )
    list_filter = ("status",)


class RefundInline(admin.TabularInline):  # type: ignore[type-arg]
    model = Refund
    extra = 0
    can_delete = False
    readonly_fields = ("payment", "amount_minor", "external_id", "status", "created_at")


@admin.register(RefundRequest)
class RefundRequestAdmin(AuditedActions, ReadOnlyAdmin):
    list_display = (
        "created_at",
        "client_account",
        "amount_minor",
        "status",
        "decided_at",
        "decided_by",
    )
    list_filter = ("status",)
    inlines = (RefundInline,)
    # Approving is the console's (backoffice:risk_refund): in part, never above what is
    # refundable, four eyes above the platform's amount, audited. Not here.
    actions = ("reject",)

    def has_decide_permission(self, request: HttpRequest) -> bool:
        """Refunds are the risk role's decision (`accounts.roles`)."""
        return bool(request.user.has_perm("payments.change_refundrequest"))

    @admin.action(description=_("Erstattung ablehnen"), permissions=["decide"])
    def reject(self, request: HttpRequest, queryset: QuerySet[RefundRequest]) -> None:
        for refund_request in queryset.filter(status=RefundRequestStatus.REQUESTED):
            refunds.refund_request_reject(request=refund_request, staff=str(request.user))


@admin.register(Refund)
class RefundAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "payment", "amount_minor", "status", "external_id")
    list_filter = ("status",)


@admin.register(TransferReference)
class TransferReferenceAdmin(ReadOnlyAdmin):
    list_display = ("reference", "client_account")
    search_fields = ("reference", "client_account__customer_number")


class StatementUploadForm(forms.Form):
    provider_config = forms.ModelChoiceField(
        queryset=ProviderConfig.objects.filter(kind=ProviderKind.BANK_TRANSFER),
        label=_("Bankkonto"),
    )
    file = forms.FileField(label=_("Kontoauszug (CAMT.053 oder MT940)"))


@admin.register(BankStatement)
class BankStatementAdmin(ReadOnlyAdmin):
    list_display = ("imported_at", "provider_config", "file_name", "format", "statement_id")
    exclude = ("content",)

    def get_urls(self) -> list[URLPattern]:
        return [
            path(
                "upload/",
                self.admin_site.admin_view(self.upload),
                name="payments_bankstatement_upload",
            ),
            *super().get_urls(),
        ]

    def upload(self, request: HttpRequest) -> HttpResponse:
        if not request.user.has_perm("payments.add_bankstatement"):
            raise PermissionDenied
        form = StatementUploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                result = bank.statement_import(
                    config=form.cleaned_data["provider_config"],
                    file_name=upload.name,
                    content=upload.read(),
                )
            except DomainError as exc:
                self.message_user(request, str(exc.message), messages.ERROR)
            else:
                self.message_user(
                    request,
                    _("Eingelesen: %(new)d neu, %(known)d bekannt, %(review)d zu prüfen.")
                    % {"new": result.new, "known": result.known, "review": result.review},
                    messages.SUCCESS,
                )
                return redirect("admin:payments_bankentry_changelist")
        context = {
            **self.admin_site.each_context(request),
            "form": form,
            "title": _("Kontoauszug hochladen"),
        }
        return TemplateResponse(request, "payments/admin/statement_upload.html", context)


class AssignForm(forms.Form):
    customer_number = forms.CharField(label=_("Kundennummer"))


@admin.register(BankEntry)
class BankEntryAdmin(AuditedActions, ReadOnlyAdmin):
    """The review queue: unmatched or ambiguous entries wait here for staff."""

    list_display = (
        "booking_date",
        "credit",
        "amount_minor",
        "reference",
        "remittance",
        "counterparty_name",
        "return_reason",
        "status",
        "client_account",
        "note",
    )
    list_filter = ("status", "credit")
    search_fields = ("reference", "remittance", "counterparty_name", "end_to_end_id")
    actions = ("ignore",)

    def get_urls(self) -> list[URLPattern]:
        return [
            path(
                "<int:entry_id>/assign/",
                self.admin_site.admin_view(self.assign),
                name="payments_bankentry_assign",
            ),
            *super().get_urls(),
        ]

    def assign(self, request: HttpRequest, entry_id: int) -> HttpResponse:
        if not request.user.has_perm("payments.change_bankentry"):
            raise PermissionDenied
        entry = get_object_or_404(BankEntry, pk=entry_id)
        form = AssignForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                bank.entry_assign(entry=entry, customer_number=form.cleaned_data["customer_number"])
            except DomainError as exc:
                self.message_user(request, str(exc.message), messages.ERROR)
            else:
                self.message_user(request, _("Gutgeschrieben."), messages.SUCCESS)
                return redirect("admin:payments_bankentry_changelist")
        context = {
            **self.admin_site.each_context(request),
            "form": form,
            "entry": entry,
            "title": _("Umsatz zuordnen"),
        }
        return TemplateResponse(request, "payments/admin/entry_assign.html", context)

    def has_decide_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.has_perm("payments.change_bankentry"))

    @admin.action(description=_("Als nicht relevant markieren"), permissions=["decide"])
    def ignore(self, request: HttpRequest, queryset: QuerySet[BankEntry]) -> None:
        queryset.filter(status=BankEntryStatus.REVIEW).update(status=BankEntryStatus.IGNORED)
