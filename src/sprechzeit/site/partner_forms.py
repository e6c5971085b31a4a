"""Forms of the "Berater werden" page and the partner's invitation link."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from sprechzeit.accounts.models import Category
from sprechzeit.core.inputs import EmailFormField
from sprechzeit.partners.models import ABOUT_MAX, NAME_MAX, SAMPLE_MAX
from sprechzeit.partners.services.applications import MIN_TEXT
from sprechzeit.platforms.models import Platform


class ApplicationForm(forms.Form):
    first_name = forms.CharField(label=_("Vorname"), max_length=NAME_MAX)
    last_name = forms.CharField(label=_("Nachname"), max_length=NAME_MAX)
    email = EmailFormField(
        label=_("E-Mail"), widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
    phone_number = forms.CharField(label=_("Telefon (optional)"), max_length=32, required=False)
    display_name = forms.CharField(
        label=_("Gewünschter Anzeigename"),
        max_length=NAME_MAX,
        help_text=_("So erscheinen Sie auf der Plattform, zum Beispiel „Anna – Kartenlegerin“."),
    )
    categories = forms.ModelMultipleChoiceField(
        label=_("Ihre Themen"),
        queryset=Category.objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )
    about = forms.CharField(
        label=_("Über mich und meine Erfahrung"),
        min_length=MIN_TEXT,
        max_length=ABOUT_MAX,
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    sample_text = forms.CharField(
        label=_("Textprobe"),
        min_length=MIN_TEXT,
        max_length=SAMPLE_MAX,
        help_text=_(
            "Wie würden Sie einer Klientin antworten, die fragt: „Soll ich die neue Stelle "
            "annehmen?“ Schreiben Sie so, wie Sie im Chat schreiben."
        ),
        widget=forms.Textarea(attrs={"rows": 8}),
    )
    # Honeypot: hidden from people (CSS and aria-hidden), filled in by naive bots.
    website = forms.CharField(label=_("Bitte leer lassen"), required=False)

    def __init__(self, *args: Any, platform: Platform, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["categories"]
        assert isinstance(field, forms.ModelMultipleChoiceField)
        field.queryset = Category.objects.filter(platform=platform).order_by("name")

    def is_spam(self) -> bool:
        return bool(self.data.get("website"))


class PartnerInvitationForm(forms.Form):
    password = forms.CharField(
        label=_("Neues Passwort"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password_again = forms.CharField(
        label=_("Passwort wiederholen"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    token = forms.CharField(
        label=_("Sechsstelliger Code aus der Authenticator-App"),
        max_length=8,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("password") and data.get("password") != data.get("password_again"):
            self.add_error("password_again", _("Die Passwörter stimmen nicht überein."))
        return data
