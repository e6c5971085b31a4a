"""Staff pages: close runs with progress, statements (held ones with their reason),
downloads of PDF and XML, partner tax data. Issued documents are read-only."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from sprechzeit.core import clock
from sprechzeit.core.admin import ReadOnlyAdmin
from sprechzeit.statements import services
from sprechzeit.statements.errors import StatementError
from sprechzeit.statements.models import (
    Adjustment,
    CloseRun,
    Objection,
    PartnerTaxProfile,
    Statement,
    TaxProfileChange,
)
from sprechzeit.statements.services.bank_account import (
    bank_change_apply,
    tax_profile_change_record,
)


@admin.register(CloseRun)
class CloseRunAdmin(admin.ModelAdmin[CloseRun]):
    list_display = (
        "period",
        "period_start",
        "period_end",
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

    @admin.display(description=_("Zeitraum"))
    def period(self, run: CloseRun) -> str:
        return run.period_label


@admin.register(Statement)
class StatementAdmin(admin.ModelAdmin[Statement]):
    list_display = (
        "number",
        "kind",
        "partner",
        "legal_entity",
        "period",
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

    @admin.display(description=_("Zeitraum"), ordering="period_start")
    def period(self, statement: Statement) -> str:
        return statement.period_label

    @admin.display(description=_("Dateien"))
    def downloads(self, statement: Statement) -> str:
        if statement.number is None:
            return "–"
        return format_html(
            '<a href="{}">PDF</a> · <a href="{}">XML</a>',
            reverse("statements:staff_download", args=[statement.pk, "pdf"]),
            reverse("statements:staff_download", args=[statement.pk, "xml"]),
        )

    actions = ("cancel_and_reissue", "release_held")

    @admin.action(
        description=_("Stornieren und mit aktuellen Daten neu ausstellen"), permissions=["change"]
    )
    def cancel_and_reissue(self, request: HttpRequest, queryset: QuerySet[Statement]) -> None:
        for statement in queryset.filter(
            status=Statement.Status.ISSUED, kind=Statement.Kind.CREDIT_NOTE
        ):
            try:
                cancellation, replacement = services.statement_cancel(statement=statement)
            except StatementError as exc:
                self.message_user(request, f"{statement}: {exc.message}", messages.ERROR)
                continue
            self.message_user(
                request,
                f"{statement.number} → {cancellation.number}"
                + (f", {replacement.number}" if replacement else ""),
            )

    @admin.action(
        description=_("Zurückgehaltene ausstellen, wenn die Daten vollständig sind"),
        permissions=["change"],
    )
    def release_held(self, request: HttpRequest, queryset: QuerySet[Statement]) -> None:
        ids = list(queryset.filter(status=Statement.Status.HELD).values_list("pk", flat=True))
        issued = services.statements_issue(statement_ids=ids) if ids else []
        count = sum(1 for statement in issued if statement.status == Statement.Status.ISSUED)
        self.message_user(request, f"{count} / {len(ids)}")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class PartnerTaxProfileForm(forms.ModelForm[PartnerTaxProfile]):
    """Staff edits go through the same checks as the partner's (stdnum, schwifty)."""

    class Meta:
        model = PartnerTaxProfile
        fields = (
            "partner",
            "legal_name",
            "street",
            "building_number",
            "postal_code",
            "city",
            "country",
            "tax_number",
            "vat_id",
            "vat_status",
            "iban",
            "bic",
            "account_holder",
            "iban_verified_at",
            "payout_blocked_reason",
            "self_billing_accepted_at",
            "self_billing_version",
            "language",
        )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for name, message in services.tax_fields_check(cleaned).items():
            self.add_error(name if name in self.fields else None, message)
        return cleaned


@admin.register(PartnerTaxProfile)
class PartnerTaxProfileAdmin(admin.ModelAdmin[PartnerTaxProfile]):
    form = PartnerTaxProfileForm
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

    readonly_fields = ("iban_usable_from",)

    def save_model(
        self, request: HttpRequest, obj: PartnerTaxProfile, form: Any, change: bool
    ) -> None:
        """A staff change of the IBAN is announced and cooled off like the partner's own
        (no authenticator code: staff signed in with theirs)."""
        now = clock.now()
        previous = PartnerTaxProfile.objects.filter(pk=obj.pk).first() if change else None
        with transaction.atomic():
            bank_change_apply(profile=obj, previous=previous, totp_code="", by_staff=True, now=now)
            obj.updated_at = now
            super().save_model(request, obj, form, change)
            tax_profile_change_record(profile=obj, previous=previous, by_staff=True)


@admin.register(TaxProfileChange)
class TaxProfileChangeAdmin(ReadOnlyAdmin):
    """The dated history of partners' tax status and bank data (insert-only)."""

    list_display = (
        "partner",
        "valid_from",
        "vat_status",
        "country",
        "vat_id",
        "iban",
        "changed_by",
    )
    list_filter = ("vat_status", "changed_by")
    search_fields = ("partner__user__email", "legal_name", "vat_id", "iban")


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

    def add_view(
        self, request: HttpRequest, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        """An adjustment is booked on the ledger, with a reason and, above the platform's
        limit, a second approver: that happens in the console's partner file, not in a
        raw form (the roles holding `add_adjustment` are sent there)."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        messages.info(request, _("Anpassungen werden in der Beraterakte erfasst."))
        return redirect("backoffice:partners_partners")

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # insert-only in the database; a correction is a new adjustment

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Objection)
class ObjectionAdmin(ReadOnlyAdmin):
    """Partners' objections to credit notes (each note already cancelled by its 384);
    staff record how the amount was settled, once (audited)."""

    list_display = ("statement", "partner", "at", "cancellation", "resolution", "resolved_at")
    list_filter = ("resolution",)
    search_fields = ("statement__number", "partner__user__email", "reason")
    actions = ("resolve_reissued", "resolve_own_invoice")

    def _resolve(self, request: HttpRequest, queryset: QuerySet[Objection], how: str) -> None:
        for objection in queryset.filter(resolved_at__isnull=True):
            try:
                services.objection_resolve(
                    objection_id=objection.pk,
                    actor=request.user,  # type: ignore[arg-type]
                    resolution=how,
                    note=str(_("im Backoffice erledigt")),
                    ip=request.META.get("REMOTE_ADDR"),
                )
            except StatementError as exc:
                self.message_user(request, f"{objection}: {exc.message}", messages.ERROR)
                continue
            self.message_user(request, f"{objection}: {Objection.Resolution(how).label}")

    @admin.action(
        description=_("Erledigt: neue Gutschrift mit aktuellen Daten ausstellen"),
        permissions=["change"],
    )
    def resolve_reissued(self, request: HttpRequest, queryset: QuerySet[Objection]) -> None:
        self._resolve(request, queryset, Objection.Resolution.REISSUED)

    @admin.action(
        description=_("Erledigt: der Berater hat eine eigene Rechnung gestellt"),
        permissions=["change"],
    )
    def resolve_own_invoice(self, request: HttpRequest, queryset: QuerySet[Objection]) -> None:
        self._resolve(request, queryset, Objection.Resolution.OWN_INVOICE)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # the change form stays read-only; "change" is the permission of the actions
        return obj is None and bool(request.user.has_perm("statements.change_objection"))
