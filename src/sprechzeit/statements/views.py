"""Partner portal pages for statements and the staff download. Thin: each view resolves
the partner of the logged-in user, reads through selectors and renders; a document of
another partner is a 404."""

from __future__ import annotations

from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from sprechzeit.accounts.models import Partner
from sprechzeit.core import clock
from sprechzeit.core.money import Money
from sprechzeit.statements import errors, issuing_rules, selectors, services
from sprechzeit.statements.forms import ObjectionForm, TaxProfileForm
from sprechzeit.statements.models import PartnerTaxProfile, Statement

FORMATS = ("pdf", "xml", "xrechnung")


def _partner(request: HttpRequest) -> Partner:
    partner = selectors.partner_of_user(request.user)
    if partner is None:
        raise Http404
    return partner


def _file(statement: Statement, kind: str) -> HttpResponse:
    if kind not in FORMATS or statement.number is None:
        raise Http404
    if kind == "pdf":
        statement = services.statement_render_pdf(statement_id=statement.pk)
        body, content_type, suffix = bytes(statement.pdf or b""), "application/pdf", "pdf"
    elif kind == "xml":
        body, content_type, suffix = bytes(statement.xml or b""), "application/xml", "xml"
    else:
        body = selectors.statement_xrechnung(statement=statement)
        content_type, suffix = "application/xml", "xrechnung.xml"
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{statement.number}.{suffix}"'
    return response


@login_required
def statement_list(request: HttpRequest) -> HttpResponse:
    partner = _partner(request)
    today = timezone.localdate(clock.now())
    return render(
        request,
        "statements/statement_list.html",
        {
            "rows": [
                (
                    statement,
                    Money(statement.gross_minor, statement.currency),
                    selectors.statement_payout_outlook(statement=statement),
                )
                for statement in selectors.partner_statements(partner=partner)
            ],
            "earnings": [
                (period, selectors.partner_earnings(partner=partner, period=period))
                for period in selectors.current_periods(partner=partner, today=today)
            ],
            "gaps": selectors.tax_profile_gaps(selectors.partner_tax_profile(partner=partner))
            + issuing_rules.consent_gaps(partner=partner),
        },
    )


def _tax_initial(profile: PartnerTaxProfile | None) -> dict[str, object]:
    """The form's initial values from a saved profile: the model's fields by name, and the
    agreement box ticked when the partner already agreed (it is not a model field)."""
    if profile is None:
        return {}
    initial: dict[str, object] = {
        name: getattr(profile, name)
        for name in TaxProfileForm.base_fields
        if name != "accept_self_billing" and hasattr(profile, name)
    }
    initial["accept_self_billing"] = not issuing_rules.consent_gaps(partner=profile.partner)
    return initial


@login_required
def tax_profile_edit(request: HttpRequest) -> HttpResponse:
    """The partner's tax and bank data; errors of the checks appear at their fields."""
    partner = _partner(request)
    profile = selectors.partner_tax_profile(partner=partner)
    initial = _tax_initial(profile)
    form = TaxProfileForm(request.POST or None, initial=initial)
    saved = False
    if request.method == "POST" and form.is_valid():
        fields = dict(form.cleaned_data)
        accept = fields.pop("accept_self_billing")
        totp_code = fields.pop("totp_code")
        try:
            profile = services.tax_profile_save(partner=partner, totp_code=totp_code, **fields)
            if accept:
                services.self_billing_accept(partner=partner, ip=request.META.get("REMOTE_ADDR"))
            saved = True
        except errors.TaxProfileInvalid as exc:
            for name, message in exc.fields.items():
                form.add_error(name if name in form.fields else None, str(message))
    return render(
        request,
        "statements/tax_profile.html",
        {
            "form": form,
            "profile": profile,
            "saved": saved,
            "gaps": selectors.tax_profile_gaps(profile)
            + issuing_rules.consent_gaps(partner=partner),
            "consents": selectors.self_billing_consents(partner=partner),
            "limit_warning": selectors.small_business_warning(
                partner=partner, year=timezone.localdate(clock.now()).year
            ),
        },
    )


@login_required
def statement_download(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    partner = _partner(request)
    statement = get_object_or_404(
        Statement.objects.exclude(status__in=[Statement.Status.DRAFT, Statement.Status.HELD]),
        pk=pk,
        partner=partner,
    )
    return _file(statement, kind)


@login_required
def statement_objection(request: HttpRequest, pk: int) -> HttpResponse:
    """The partner objects to their issued credit note (§ 14 Abs. 2 Satz 3 UStG): the
    form with the reason; on POST the objection is recorded and the note cancelled."""
    partner = _partner(request)
    statement = get_object_or_404(
        Statement.objects.exclude(status__in=[Statement.Status.DRAFT, Statement.Status.HELD]),
        pk=pk,
        partner=partner,
        kind=Statement.Kind.CREDIT_NOTE,
    )
    form = ObjectionForm(request.POST or None)
    objection = selectors.objection_of(statement=statement)
    error = ""
    if request.method == "POST" and objection is None and form.is_valid():
        try:
            objection = services.statement_object(
                partner=partner,
                statement_id=statement.pk,
                reason=form.cleaned_data["reason"],
                ip=request.META.get("REMOTE_ADDR"),
            )
        except errors.StatementError as exc:
            error = str(exc.message)
    return render(
        request,
        "statements/objection.html",
        {"statement": statement, "form": form, "objection": objection, "error": error},
    )


@staff_member_required
@permission_required("statements.download_statement", raise_exception=True)
def staff_download(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    return _file(get_object_or_404(Statement, pk=pk), kind)
