"""The accountant's page: pick a legal entity and a month or quarter, see the VAT return
figures (Kennzahlen, reconciled with the ledger) and download the DATEV posting batch.
The download is recorded in the audit trail (who took which books, when)."""

from __future__ import annotations

from django import forms
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from sprechzeit.accounting import services
from sprechzeit.accounting.errors import AccountingError
from sprechzeit.accounting.vat import VatReturn, vat_return
from sprechzeit.audit.services import audit_record
from sprechzeit.backoffice.http import console_view, staff_ip
from sprechzeit.platforms.models import LegalEntity

KENNZAHLEN = {
    "81": _("Steuerpflichtige Umsätze 19 % (Bemessungsgrundlage)"),
    "81 Steuer": _("Umsatzsteuer 19 %"),
    "86": _("Steuerpflichtige Umsätze 7 % (Bemessungsgrundlage)"),
    "86 Steuer": _("Umsatzsteuer 7 %"),
    "21": _("Nicht steuerbare sonstige Leistungen in der EU (Reverse Charge)"),
    "45": _("Übrige nicht steuerbare Umsätze (Leistungsort nicht im Inland)"),
    "46": _("Leistungen von EU-Unternehmern nach § 13b UStG (Bemessungsgrundlage)"),
    "47": _("Steuer nach § 13b UStG auf EU-Leistungen"),
    "52": _("Andere Leistungen nach § 13b UStG (Bemessungsgrundlage)"),
    "53": _("Steuer nach § 13b UStG auf andere Leistungen"),
    "66": _("Vorsteuer aus Gutschriften"),
    "67": _("Vorsteuer nach § 13b UStG"),
    "83": _("Verbleibende Umsatzsteuer-Vorauszahlung"),
}


class PeriodForm(forms.Form):
    entity = forms.ModelChoiceField(
        label=_("Unternehmen"), queryset=LegalEntity.objects.order_by("name"), empty_label=None
    )
    period = forms.CharField(
        label=_("Zeitraum"),
        max_length=7,
        help_text=_("Monat (2026-10) oder Quartal (2026-Q4)"),
    )

    def clean_period(self) -> str:
        value = str(self.cleaned_data["period"]).strip()
        try:
            services.accounting_period(value)
        except AccountingError as exc:
            raise forms.ValidationError(str(exc.message)) from exc
        return value


def _figures(figures: VatReturn) -> list[tuple[str, str, int]]:
    return [(kz, str(KENNZAHLEN[kz]), value) for kz, value in figures.kennzahlen().items()]


@console_view
def books(request: HttpRequest) -> HttpResponse:
    form = PeriodForm(request.GET or None)
    context: dict[str, object] = {"form": form}
    if form.is_bound and form.is_valid():
        entity, period = form.cleaned_data["entity"], form.cleaned_data["period"]
        figures = vat_return(legal_entity=entity, period=period)
        context |= {
            "entity": entity,
            "period": period,
            "figures": _figures(figures),
            "corrections": figures.kz81_corrections,
            "reconciled": figures.reconciled,
        }
    status = 400 if form.is_bound and not form.is_valid() else 200
    return render(request, "backoffice/books/books.html", context, status=status)


@console_view
def datev_download(request: HttpRequest) -> HttpResponse:
    form = PeriodForm(request.GET or None)
    if not form.is_valid():
        return render(request, "backoffice/books/books.html", {"form": form}, status=400)
    entity, period = form.cleaned_data["entity"], form.cleaned_data["period"]
    try:
        with transaction.atomic():
            batch = services.datev_batch(legal_entity=entity, period=period)
            audit_record(
                actor=request.user,  # type: ignore[arg-type]
                action="books.datev_download",
                target=entity,
                after={"period": period, "file": batch.name, "bookings": len(batch.rows)},
                ip=staff_ip(request),
            )
    except AccountingError as exc:
        form.add_error(None, str(exc.message))
        return render(request, "backoffice/books/books.html", {"form": form}, status=400)
    response = HttpResponse(batch.content, content_type="text/csv; charset=windows-1252")
    response["Content-Disposition"] = f'attachment; filename="{batch.name}"'
    return response
