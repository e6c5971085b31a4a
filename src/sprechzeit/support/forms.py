"""The rating report form, shared by the site (clients) and the partner portal."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from sprechzeit.support.models import RatingReport


class RatingReportForm(forms.Form):
    rating = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    reason = forms.ChoiceField(label=_("Grund"), choices=RatingReport.Reason.choices)
    comment = forms.CharField(
        label=_("Erläuterung (freiwillig)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
