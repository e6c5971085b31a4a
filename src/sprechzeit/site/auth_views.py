"""Log-in (with a second factor for partners and staff), e-mail verification, password reset.

Step one checks e-mail and password. Clients without a device are logged in at once. A
partner or staff member (or a client who enrolled a device) is only *pending* until the
second step accepts a TOTP code (or a recovery code); a first-time partner enrols a device
in that step (secret and QR code shown, confirmed by a first code) and then sees their
recovery codes once. Staff never enrol here: their invitation link does
(`site.security_views`).
"""

from __future__ import annotations

import base64
from typing import Any

import qrcode
import qrcode.image.svg
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.tokens import default_token_generator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_otp import login as otp_login
from django_otp import user_has_device

from sprechzeit.accounts.enrolment import recovery_codes_regenerate
from sprechzeit.accounts.errors import InvalidToken
from sprechzeit.accounts.models import User
from sprechzeit.accounts.services import (
    email_verification_token,
    totp_enrolment_device,
    totp_self_enrolment_allowed,
    user_requires_2fa,
    user_verify_email,
)
from sprechzeit.accounts.throttles import password_reset_buckets, totp_verify_limited
from sprechzeit.core.inputs import form_status
from sprechzeit.core.money import Money
from sprechzeit.core.throttle import Throttled, throttle_take
from sprechzeit.notifications.services import mail_send
from sprechzeit.platforms.http import PlatformRequest
from sprechzeit.site.forms import LoginForm, OtpTokenForm, PlatformPasswordResetForm
from sprechzeit.site.security_views import NEW_CODES_KEY, staff_without_authenticator
from sprechzeit.wallets.services import welcome_credit_after_verification

PENDING_KEY = "sprechzeit_2fa_pending"
BACKEND = "sprechzeit.accounts.backends.PlatformEmailBackend"


def _next_url(request: HttpRequest, *, default: str | None = None) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return default or reverse("site:home")


def _home_for(user: User, request: PlatformRequest) -> str:
    """Where a log-in without `next` lands: partners in their area, staff on the network
    host in the back office, everyone else on the home page."""
    if user.kind == User.Kind.STAFF and request.platform is None:
        return "/admin/"
    if user.kind == User.Kind.PARTNER:
        return reverse("partner:dashboard")
    return reverse("site:home")


def _next_given(request: HttpRequest) -> str:
    """The safe `next` the request names, or "" (the login form carries it on)."""
    given = _next_url(request, default="-")
    return "" if given == "-" else given


def login_view(request: PlatformRequest) -> HttpResponse:
    form = LoginForm(request, request.POST or None)
    if request.method == "POST" and form.is_valid() and form.user is not None:
        user = form.user
        if user_requires_2fa(user=user):
            request.session.cycle_key()
            request.session[PENDING_KEY] = {
                "user": user.pk,
                "next": _next_url(request, default=_home_for(user, request)),
            }
            return redirect("site:login_2fa")
        login(request, user, backend=BACKEND)
        return HttpResponseRedirect(_next_url(request, default=_home_for(user, request)))
    return render(
        request,
        "site/login.html",
        {"form": form, "next": _next_given(request)},
        status=429 if form.throttled is not None else form_status(form),
    )


def login_2fa(request: HttpRequest) -> HttpResponse:
    pending: dict[str, Any] | None = request.session.get(PENDING_KEY)
    user = User.objects.filter(pk=int(pending["user"]), is_active=True).first() if pending else None
    if pending is None or user is None:
        return redirect("site:login")
    enrolling = not user_has_device(user, confirmed=True)
    if enrolling and not totp_self_enrolment_allowed(user=user):
        del request.session[PENDING_KEY]
        return staff_without_authenticator(request)
    device = totp_enrolment_device(user=user) if enrolling else None
    form = OtpTokenForm(request.POST or None)
    throttled: Throttled | None = None
    if request.method == "POST" and form.is_valid():
        try:
            # Enrolment needs the new app's code; afterwards a recovery code also counts.
            verified = totp_verify_limited(
                request=request,
                user=user,
                token=form.cleaned_data["token"],
                allow_recovery=not enrolling,
            )
        except Throttled as exc:
            verified, throttled = None, exc
        if throttled is not None:
            form.add_error("token", throttled.user_message())
        elif verified is None:
            form.add_error(
                "token",
                _(
                    "Dieser Code stimmt nicht. Bitte geben Sie den aktuellen Code aus Ihrer App ein."
                ),
            )
        else:
            del request.session[PENDING_KEY]
            login(request, user, backend=BACKEND)
            otp_login(request, verified)
            if enrolling:
                messages.success(request, _("Die Zwei-Faktor-Anmeldung ist eingerichtet."))
                # Shown once, on the next page: the codes for the day the phone is lost.
                request.session[NEW_CODES_KEY] = {
                    "codes": recovery_codes_regenerate(user=user),
                    "next": pending["next"],
                }
                return redirect("site:recovery_codes")
            return HttpResponseRedirect(pending["next"])
    context: dict[str, Any] = {"form": form, "enrolling": enrolling}
    if device is not None:
        image = qrcode.make(
            device.config_url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8
        )
        context.update(secret=_base32(device.bin_key), qr_svg=image.to_string(encoding="unicode"))
    return render(request, "site/login_2fa.html", context, status=429 if throttled else 200)


def _base32(key: bytes) -> str:
    return base64.b32encode(key).decode().rstrip("=")


def send_verification_email(request: PlatformRequest, user: User) -> None:
    """Mail the address-confirmation link (branded, in the user's language, after commit)."""
    link = request.build_absolute_uri(
        reverse("site:verify_email", args=[email_verification_token(user=user)])
    )
    mail_send(
        platform=request.platform,
        to=user,
        template="verify_email",
        context={"user": user, "link": link},
    )


def verify_email(request: PlatformRequest, token: str) -> HttpResponse:
    try:
        user = user_verify_email(token=token, platform=request.platform)
    except InvalidToken:
        return render(request, "site/verify_email.html", {"ok": False}, status=400)
    welcome = None
    if user.kind == User.Kind.CLIENT:
        # The welcome credit waits for a confirmed address (wallets/services/welcome.py).
        grant = welcome_credit_after_verification(client_account=user.client_account)
        if grant is not None:
            welcome = Money(grant.amount_minor, grant.currency)
    return render(request, "site/verify_email.html", {"ok": True, "welcome": welcome})


class PasswordResetView(auth_views.PasswordResetView):
    form_class = PlatformPasswordResetForm
    template_name = "site/password_reset.html"
    success_url = reverse_lazy("site:password_reset_done")
    title = gettext_lazy("Passwort vergessen")
    request: PlatformRequest

    def form_valid(self, form: PlatformPasswordResetForm) -> HttpResponse:  # type: ignore[override]
        try:
            throttle_take(
                buckets=password_reset_buckets(
                    request=self.request, email=form.cleaned_data["email"]
                )
            )
        except Throttled as exc:
            # The same answer for every address: no hint whether an account exists.
            form.add_error(None, exc.user_message())
            return self.render_to_response(self.get_context_data(form=form), status=429)
        form.platform = self.request.platform
        return super().form_valid(form)

    def form_invalid(self, form: PlatformPasswordResetForm) -> HttpResponse:  # type: ignore[override]
        return self.render_to_response(self.get_context_data(form=form), status=400)


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "site/password_reset_confirm.html"
    success_url = reverse_lazy("site:password_reset_complete")
    token_generator = default_token_generator
    title = gettext_lazy("Neues Passwort")
    request: PlatformRequest

    def get_user(self, uidb64: str) -> User | None:
        user = super().get_user(uidb64)
        platform = self.request.platform
        if (
            isinstance(user, User)
            and user.platform_id is not None
            and (platform is None or user.platform_id != platform.pk)
        ):
            raise Http404
        return user if isinstance(user, User) else None


def password_reset_done(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "site/message.html",
        {
            "title": _("E-Mail unterwegs"),
            "text": _(
                "Wenn zu dieser Adresse ein Konto gehört, haben wir Ihnen einen Link zum Zurücksetzen geschickt."
            ),
        },
    )


def password_reset_complete(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "site/message.html",
        {
            "title": _("Passwort geändert"),
            "text": _("Ihr neues Passwort gilt ab sofort. Sie können sich jetzt anmelden."),
            "link": reverse("site:login"),
            "link_text": _("Anmelden"),
        },
    )
