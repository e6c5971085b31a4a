"""Forms of the support console."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from sprechzeit.support.models import GoodwillCredit


class ReplyForm(forms.Form):
    body = forms.CharField(
        label=_("Antwort"), max_length=10000, widget=forms.Textarea(attrs={"rows": 8})
    )
    close = forms.BooleanField(label=_("Anfrage damit erledigen"), required=False, initial=True)


class SearchForm(forms.Form):
    platform = forms.IntegerField(label=_("Plattform"))
    q = forms.CharField(label=_("E-Mail, Name, Kundennummer oder ID"), max_length=200)


class GoodwillForm(forms.Form):
    kind = forms.ChoiceField(label=_("Art"), choices=GoodwillCredit.Kind.choices)
    amount = forms.CharField(label=_("Betrag"), max_length=20)
    reason = forms.CharField(
        label=_("Begründung"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
