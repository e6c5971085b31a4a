"""The partner's tax and bank data form (portal). Validation of tax numbers, VAT IDs and
IBANs lives in the service (`tax_profile_save`); the form only parses."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from sprechzeit.statements.vat import VatStatus


class TaxProfileForm(forms.Form):
    legal_name = forms.CharField(label=_("Name / Firma"), max_length=200)
    street = forms.CharField(label=_("Straße"), max_length=200)
    building_number = forms.CharField(label=_("Hausnummer"), max_length=20, required=False)
    postal_code = forms.CharField(label=_("PLZ"), max_length=20)
    city = forms.CharField(label=_("Ort"), max_length=100)
    country = forms.CharField(label=_("Land (ISO, z. B. DE)"), max_length=2, initial="DE")
    vat_status = forms.ChoiceField(label=_("Umsatzsteuerstatus"), choices=VatStatus.choices)
    tax_number = forms.CharField(label=_("Steuernummer"), max_length=30, required=False)
    vat_id = forms.CharField(label=_("USt-IdNr."), max_length=20, required=False)
    iban = forms.CharField(label=_("IBAN"), max_length=42)
    account_holder = forms.CharField(
        label=_("Kontoinhaber (genau wie bei der Bank)"), max_length=70
    )
    language = forms.ChoiceField(
        label=_("Sprache der Dokumente"), choices=[("de", "Deutsch"), ("en", "English")]
    )
    totp_code = forms.CharField(
        label=_("Code aus der Authenticator-App (nur beim Ändern der IBAN)"),
        max_length=12,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )
    accept_self_billing = forms.BooleanField(
        label=_(
            "Ich stimme dem Gutschriftsverfahren zu: Jeder Betreiber, für dessen Plattformen "
            "ich berate, rechnet meine Leistungen per Gutschrift ab (§ 14 Abs. 2 UStG)."
        ),
        required=False,
    )


class ObjectionForm(forms.Form):
    reason = forms.CharField(
        label=_("Begründung des Widerspruchs"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
