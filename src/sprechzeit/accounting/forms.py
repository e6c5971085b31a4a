"""The client's billing details form (country, VAT ID, business, invoice address)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class ClientBillingForm(forms.Form):
    country = forms.CharField(label=_("Land (ISO, z. B. DE)"), max_length=2)
    vat_id = forms.CharField(label=_("USt-IdNr. (Unternehmen)"), max_length=20, required=False)
    is_business = forms.BooleanField(
        label=_("Ich beziehe die Beratungen als Unternehmen"), required=False
    )
    name = forms.CharField(label=_("Name / Firma"), max_length=200, required=False)
    street = forms.CharField(label=_("Straße und Hausnummer"), max_length=200, required=False)
    postal_code = forms.CharField(label=_("PLZ"), max_length=20, required=False)
    city = forms.CharField(label=_("Ort"), max_length=100, required=False)
