from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import authenticate, password_validation
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from sprechzeit.accounts.models import User


class LoginForm(forms.Form):
    email = forms.EmailField(
        label=_("E-Mail"),
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )
    password = forms.CharField(
        label=_("Passwort"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        self.request = request
        self.user: User | None = None
        super().__init__(*args, **kwargs)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.errors:
            return data
        user = authenticate(self.request, email=data["email"], password=data["password"])
        self.user = user if isinstance(user, User) else None
        if self.user is None:
            raise forms.ValidationError(
                _("E-Mail oder Passwort stimmen nicht."), code="invalid_login"
            )
        return data


class SignupForm(forms.Form):
    first_name = forms.CharField(
        label=_("Vorname"),
        max_length=100,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "given-name"}),
    )
    email = forms.EmailField(
        label=_("E-Mail"), widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
    password = forms.CharField(
        label=_("Passwort"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("Mindestens 10 Zeichen."),
    )
    accept_terms = forms.BooleanField(
        label=_("Ich akzeptiere die AGB und habe die Datenschutzhinweise gelesen.")
    )

    def clean_password(self) -> str:
        password: str = self.cleaned_data["password"]
        password_validation.validate_password(password)
        return password
