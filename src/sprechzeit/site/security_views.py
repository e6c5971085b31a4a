"""Pages of the second factor beyond the log-in: a staff member's invitation (enrol the
authenticator), and recovery codes (shown once, regenerated on request).

Kept apart from `auth_views` (log-in, throttling) on purpose; the services are in
`accounts.enrolment`.
"""

from __future__ import annotations

import base64
from typing import Any

import qrcode
import qrcode.image.svg
from django.contrib.auth import authenticate, login
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from sprechzeit.accounts.enrolment import (
    recovery_codes_regenerate,
    recovery_codes_remaining,
    staff_invitation_accept,
    staff_invitation_device,
    staff_invitation_open,
)
from sprechzeit.accounts.errors import InvitationInvalid, WrongCode
from sprechzeit.accounts.models import StaffInvitation, User
from sprechzeit.site.forms import InvitationPasswordForm, OtpTokenForm

BACKEND = "sprechzeit.accounts.backends.PlatformEmailBackend"
# Fresh recovery codes waiting to be shown once: {"codes": [...], "next": url}.
NEW_CODES_KEY = "sprechzeit_new_recovery_codes"
# An invitation whose password step is done: {"invitation": pk, "device": pk}.
INVITATION_KEY = "sprechzeit_staff_invitation"


def authenticator_of(device: TOTPDevice) -> dict[str, str]:
    """The QR code (SVG, rendered here: the secret never leaves the server) and the key."""
    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    return {
        "qr_svg": image.to_string(encoding="unicode"),
        "secret": base64.b32encode(device.bin_key).decode().rstrip("="),
    }


def staff_without_authenticator(request: HttpRequest) -> HttpResponse:
    """What a staff member without a confirmed authenticator sees after the password:
    no enrolment here (that needs their invitation link), and no session."""
    return render(
        request,
        "site/message.html",
        {
            "title": _("Zwei-Faktor-Anmeldung nicht eingerichtet"),
            "text": _(
                "Mitarbeiter richten ihre Authenticator-App über einen persönlichen "
                "Einladungslink ein. Bitte bitten Sie einen Administrator um eine Einladung."
            ),
        },
        status=403,
    )


def _invitation_invalid(request: HttpRequest) -> HttpResponse:
    request.session.pop(INVITATION_KEY, None)
    return render(
        request,
        "site/message.html",
        {"title": _("Einladung ungültig"), "text": InvitationInvalid.default_message},
        status=400,
    )


@never_cache
def staff_invitation(request: HttpRequest, token: str) -> HttpResponse:
    """`/verwaltung/einladung/<token>/` (network hosts only): step one proves the
    password, step two shows a fresh secret and confirms it with a code; then the staff
    member is logged in and sees their recovery codes once."""
    try:
        invitation = staff_invitation_open(token=token)
    except InvitationInvalid:
        return _invitation_invalid(request)
    state: dict[str, Any] | None = request.session.get(INVITATION_KEY)
    device = None
    if state and state.get("invitation") == invitation.pk:
        device = TOTPDevice.objects.filter(
            pk=state.get("device"), user=invitation.user, confirmed=False
        ).first()
    if device is None:
        return _invitation_password(request, invitation)
    return _invitation_code(request, invitation, token, device)


def _invitation_password(request: HttpRequest, invitation: StaffInvitation) -> HttpResponse:
    form = InvitationPasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = authenticate(
            request, email=invitation.user.email, password=form.cleaned_data["password"]
        )
        if isinstance(user, User) and user.pk == invitation.user_id:
            device = staff_invitation_device(invitation=invitation)
            request.session.cycle_key()
            request.session[INVITATION_KEY] = {"invitation": invitation.pk, "device": device.pk}
            return redirect(request.path)
        form.add_error("password", _("Dieses Passwort stimmt nicht."))
    return render(
        request,
        "site/staff_invitation.html",
        {"form": form, "step": "password", "invited": invitation.user},
    )


def _invitation_code(
    request: HttpRequest, invitation: StaffInvitation, token: str, device: TOTPDevice
) -> HttpResponse:
    form = OtpTokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device, codes = staff_invitation_accept(
                token=token, device_id=device.pk, code=form.cleaned_data["token"]
            )
        except WrongCode as exc:
            form.add_error("token", str(exc.message))
        except InvitationInvalid:
            return _invitation_invalid(request)
        else:
            del request.session[INVITATION_KEY]
            login(request, invitation.user, backend=BACKEND)
            otp_login(request, device)
            request.session[NEW_CODES_KEY] = {"codes": codes, "next": reverse("admin:index")}
            return redirect("site:recovery_codes")
    return render(
        request,
        "site/staff_invitation.html",
        {"form": form, "step": "code", "invited": invitation.user, **authenticator_of(device)},
    )


@never_cache
def recovery_codes(request: HttpRequest) -> HttpResponse:
    """`/sicherheit/wiederherstellungscodes/`: fresh codes once (after an enrolment, or
    after POST here, which replaces every earlier code); otherwise how many are left.
    Only for a session verified by a second factor."""
    user = request.user
    if not (isinstance(user, User) and getattr(user, "is_verified", lambda: False)()):
        return redirect_to_login(request.get_full_path(), reverse("site:login"))
    fresh: dict[str, Any] | None = request.session.pop(NEW_CODES_KEY, None)
    if request.method == "POST":
        fresh = {"codes": recovery_codes_regenerate(user=user), "next": ""}
    next_url = (fresh or {}).get("next") or ""
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = ""
    return render(
        request,
        "site/recovery_codes.html",
        {
            "codes": (fresh or {}).get("codes") or [],
            "next": next_url,
            "remaining": recovery_codes_remaining(user=user),
        },
    )
