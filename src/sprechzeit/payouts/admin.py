"""Staff pages: payout runs with their SEPA file, payouts (returns filterable), imported
bank lines (unmatched ones filterable), the payout policy per entity, and the one bank
statement upload (top-ups and payouts from one file)."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from sprechzeit.core.admin import ReadOnlyAdmin
from sprechzeit.core.errors import DomainError
from sprechzeit.payments.admin import BankStatementAdmin
from sprechzeit.payments.models import BankStatement, ProviderConfig, ProviderKind
from sprechzeit.payouts.bank import bank_statement_import
from sprechzeit.payouts.models import BankLine, Payout, PayoutPolicy, PayoutRun


@admin.register(PayoutRun)
class PayoutRunAdmin(ReadOnlyAdmin):
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
class PayoutAdmin(ReadOnlyAdmin):
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
class BankLineAdmin(ReadOnlyAdmin):
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


class BankUploadForm(forms.Form):
    provider_config = forms.ModelChoiceField(
        queryset=ProviderConfig.objects.filter(kind=ProviderKind.BANK_TRANSFER),
        label=_("Bankkonto"),
        required=False,
        empty_label=_("nach der IBAN im Kontoauszug"),
    )
    file = forms.FileField(
        label=_("Kontoauszug (CAMT.053 oder MT940) oder Statusbericht der Bank (pain.002)")
    )


# The bank statement upload of payments, taken over: one upload books top-ups, returned
# debits and payouts (payments cannot call payouts, which sits above it in the layers).
admin.site.unregister(BankStatement)


@admin.register(BankStatement)
class OneBankStatementAdmin(BankStatementAdmin):
    def upload(self, request: HttpRequest) -> HttpResponse:
        form = BankUploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                result = bank_statement_import(
                    config=form.cleaned_data["provider_config"],
                    file_name=upload.name,
                    content=upload.read(),
                )
            except DomainError as exc:
                self.message_user(request, str(exc.message), messages.ERROR)
            else:
                self.message_user(
                    request,
                    _(
                        "Eingelesen: %(new)d neu, %(known)d bereits bekannt. Aufladungen: "
                        "%(credited)d gutgeschrieben, %(returned)d zurückgebucht. "
                        "Auszahlungen: %(confirmed)d ausgeführt, %(payout_returns)d "
                        "zurückgekommen. Zu prüfen: %(review)d."
                    )
                    % {
                        "new": result.new,
                        "known": result.known,
                        "credited": result.topups_credited,
                        "returned": result.topups_returned,
                        "confirmed": len(result.payouts_confirmed),
                        "payout_returns": len(result.payouts_returned),
                        "review": result.review,
                    },
                    messages.SUCCESS,
                )
                return redirect("admin:payments_bankentry_changelist")
        context = {
            **self.admin_site.each_context(request),
            "form": form,
            "title": _("Kontoauszug hochladen (Aufladungen und Auszahlungen)"),
        }
        return TemplateResponse(request, "payments/admin/statement_upload.html", context)
