"""The partner's onboarding after the invitation link: accept the partner terms and the
self-billing agreement (shown in the version in force, recorded as consents), then the
tax and bank data. The listing then waits for staff review."""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _

from sprechzeit.accounts.models import Partner
from sprechzeit.core.inputs import form_status
from sprechzeit.core.net import client_address
from sprechzeit.legal.texts import text_blocks
from sprechzeit.partner.access import partner_required
from sprechzeit.partners import services
from sprechzeit.partners.errors import TermsMissing
from sprechzeit.statements.errors import TaxProfileInvalid
from sprechzeit.statements.forms import TaxProfileForm


class TermsForm(forms.Form):
    accept_terms = forms.BooleanField(
        label=_("Ich stimme den Beraterbedingungen zu."), required=True
    )
    accept_self_billing = forms.BooleanField(
        label=_(
            "Ich stimme dem Gutschriftsverfahren zu: Der Betreiber rechnet meine Leistungen "
            "monatlich per Gutschrift ab (§ 14 Abs. 2 UStG)."
        ),
        required=True,
    )


class OnboardingTaxForm(TaxProfileForm):
    """The portal's tax and bank form without the agreement box (agreed in the step
    before) and without the IBAN change code (a first IBAN is no change)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        del self.fields["accept_self_billing"]
        del self.fields["totp_code"]


@partner_required
def onboarding(request: HttpRequest, partner: Partner) -> HttpResponse:
    """`/partner/einrichtung/`: the next open step, or "under review" when done."""
    application = services.onboarding_open(partner=partner)
    if application is None:
        return render(request, "partner/onboarding.html", {"step": "done"})
    consents = services.onboarding_consents(partner=partner, application=application)
    if len({c.purpose for c in consents}) < 2:
        return _terms_step(request, partner, application)
    form = OnboardingTaxForm(request.POST or None, initial={"legal_name": str(partner)})
    if request.method == "POST" and form.is_valid():
        try:
            services.onboarding_tax_save(
                partner=partner, application=application, fields=dict(form.cleaned_data)
            )
        except TaxProfileInvalid as exc:
            for name, message in exc.fields.items():
                form.add_error(name if name in form.fields else None, str(message))
        else:
            return redirect("partner:onboarding")
    return render(
        request,
        "partner/onboarding.html",
        {"step": "tax", "form": form, "application": application},
        status=form_status(form),
    )


def _terms_step(request: HttpRequest, partner: Partner, application: Any) -> HttpResponse:
    documents = services.onboarding_documents(application=application)
    language = getattr(request, "LANGUAGE_CODE", "de") or "de"
    shown = [
        (document, text_blocks(document.text_in(language)))
        for document in documents.values()
        if document is not None
    ]
    form = TermsForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.onboarding_terms_accept(
                partner=partner,
                application=application,
                terms=form.cleaned_data["accept_terms"],
                self_billing=form.cleaned_data["accept_self_billing"],
                ip=client_address(request),
            )
        except TermsMissing as exc:
            form.add_error(None, str(exc.message))
        else:
            return redirect("partner:onboarding")
    return render(
        request,
        "partner/onboarding.html",
        {"step": "terms", "form": form, "documents": shown, "application": application},
        status=form_status(form),
    )
