from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from typing import Any

from babel import Locale
from django import forms
from django.contrib.auth import authenticate, password_validation
from django.contrib.auth.forms import PasswordResetForm
from django.db.models import Q
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from sprechzeit.accounts.models import User
from sprechzeit.accounts.throttles import request_throttled
from sprechzeit.accounts.vat_place import EU, vat_id_clean, vat_id_problem
from sprechzeit.core.inputs import EmailFormField
from sprechzeit.core.throttle import Throttled
from sprechzeit.notifications.services import mail_send
from sprechzeit.platforms.models import Platform


class LoginForm(forms.Form):
    email = EmailFormField(
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
        self.throttled: Throttled | None = None
        super().__init__(*args, **kwargs)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.errors:
            return data
        user = authenticate(self.request, email=data["email"], password=data["password"])
        self.user = user if isinstance(user, User) else None
        self.throttled = request_throttled(self.request)
        if self.throttled is not None:
            # Said for any address, existing or not: the count is kept per address typed.
            raise forms.ValidationError(self.throttled.user_message(), code="throttled")
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
    email = EmailFormField(
        label=_("E-Mail"), widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
    password = forms.CharField(
        label=_("Passwort"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("Mindestens 10 Zeichen."),
    )
    country = forms.ChoiceField(
        label=_("Land, in dem Sie wohnen (bzw. Sitz Ihres Unternehmens)"),
        required=False,
        initial="DE",
        widget=forms.Select(attrs={"autocomplete": "country"}),
        help_text=_("Davon hängt die Umsatzsteuer Ihrer Beratungen ab."),
    )
    vat_id = forms.CharField(
        label=_("USt-IdNr. (nur für Unternehmen)"),
        max_length=20,
        required=False,
        help_text=_(
            "Unternehmen in der EU außerhalb Deutschlands zahlen keine deutsche Umsatzsteuer "
            "(Reverse Charge)."
        ),
    )
    accept_terms = forms.BooleanField(
        label=_("Ich akzeptiere die AGB und habe die Datenschutzerklärung gelesen.")
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["country"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = country_choices(get_language() or "de")

    def clean_password(self) -> str:
        password: str = self.cleaned_data["password"]
        password_validation.validate_password(password)
        return password

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        data["country"] = data.get("country") or "DE"
        vat_id = data.get("vat_id") or ""
        if data["country"] in EU:
            vat_id = vat_id_clean(vat_id)
        problem = vat_id_problem(vat_id=vat_id, country=data["country"])
        if problem is not None:
            self.add_error("vat_id", problem)
        data["vat_id"] = vat_id
        return data


def country_choices(language: str) -> list[tuple[str, str]]:
    """Every country (ISO 3166 alpha-2) by its name in `language`, Germany first."""
    names = Locale.parse(language.split("-")[0]).territories
    countries = sorted(
        ((code, name) for code, name in names.items() if len(code) == 2 and code.isalpha()),
        # Alphabetical as a reader expects: "Österreich" among the O.
        key=lambda item: unicodedata.normalize("NFKD", item[1]).encode("ascii", "ignore").lower(),
    )
    return [(code, name) for code, name in countries if code == "DE"] + [
        (code, name) for code, name in countries if code not in NOT_COUNTRIES
    ]


# Babel's territories that are no country (or Germany, listed first).
NOT_COUNTRIES = frozenset({"DE", "ZZ", "EU", "EZ", "UN", "QO", "XA", "XB"})


class OtpTokenForm(forms.Form):
    token = forms.CharField(
        label=_("Sechsstelliger Code aus der Authenticator-App"),
        # A TOTP code, or a recovery code such as "abcde-fghij".
        max_length=16,
        widget=forms.TextInput(
            # No numeric keypad: recovery codes have letters.
            attrs={"autocomplete": "one-time-code", "autofocus": True}
        ),
    )


class InvitationPasswordForm(forms.Form):
    password = forms.CharField(
        label=_("Ihr Passwort"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password", "autofocus": True}),
    )


class ContactForm(forms.Form):
    email = EmailFormField(
        label=_("Ihre E-Mail"), widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
    subject = forms.CharField(label=_("Betreff"), max_length=200)
    message = forms.CharField(
        label=_("Nachricht"), max_length=5000, widget=forms.Textarea(attrs={"rows": 6})
    )
    # Honeypot: hidden from people (CSS and aria-hidden), filled in by naive bots.
    website = forms.CharField(label=_("Bitte leer lassen"), required=False)

    def is_spam(self) -> bool:
        return bool(self.data.get("website"))


class PlatformPasswordResetForm(PasswordResetForm):
    """Django's reset form, scoped to the platform: a reset on platform A never mails a
    link for the same address's account on platform B."""

    platform: Platform | None = None
    email = EmailFormField(
        label=_("E-Mail"), widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )

    def get_users(self, email: str) -> Iterator[User]:
        scope = (
            Q(platform__isnull=True)
            if self.platform is None
            else Q(platform=self.platform) | Q(platform__isnull=True)
        )
        for user in User.objects.filter(scope, email__iexact=email, is_active=True):
            if user.has_usable_password():
                yield user

    def send_mail(
        self,
        subject_template_name: str,
        email_template_name: str,
        context: dict[str, Any],
        from_email: str | None,
        to_email: str,
        html_email_template_name: str | None = None,
    ) -> None:
        """The reset link as a branded mail of the platform, in the user's language."""
        path = reverse(
            "site:password_reset_confirm",
            kwargs={"uidb64": context["uid"], "token": context["token"]},
        )
        mail_send(
            platform=self.platform,
            to=context["user"],
            template="password_reset",
            context={"link": f"{context['protocol']}://{context['domain']}{path}"},
        )


class PinForm(forms.Form):
    pin = forms.CharField(
        label=_("Neue Telefon-PIN (4 bis 8 Ziffern)"),
        min_length=4,
        max_length=8,
        widget=forms.PasswordInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    pin_again = forms.CharField(
        label=_("PIN wiederholen"),
        widget=forms.PasswordInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    phone_number = forms.CharField(
        label=_("Ihre Telefonnummer für die Anruferkennung (optional, z. B. +4930123456)"),
        max_length=32,
        required=False,
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        pin = data.get("pin", "")
        if pin and not pin.isdigit():
            self.add_error("pin", _("Die PIN besteht nur aus Ziffern."))
        if pin and pin != data.get("pin_again"):
            self.add_error("pin_again", _("Die beiden PINs stimmen nicht überein."))
        phone = (data.get("phone_number") or "").replace(" ", "")
        if phone and not (phone.startswith("+") and phone[1:].isdigit() and 8 <= len(phone) <= 16):
            self.add_error(
                "phone_number", _("Bitte im internationalen Format, zum Beispiel +4930123456.")
            )
        data["phone_number"] = phone
        return data


class CloseAccountForm(forms.Form):
    password = forms.CharField(
        label=_("Zur Bestätigung Ihr Passwort"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password(self) -> str:
        password: str = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError(_("Das Passwort stimmt nicht."))
        return password
