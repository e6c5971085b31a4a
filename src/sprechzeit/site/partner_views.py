"""A platform's "Berater werden" page (the application form) and the accepted
applicant's invitation link: set a password and enrol the authenticator, then the
onboarding continues in the partner portal (`partner:onboarding`)."""

from __future__ import annotations

from django.contrib.auth import login
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django_otp import login as otp_login

from sprechzeit.accounts.errors import WrongCode
from sprechzeit.core.inputs import form_status
from sprechzeit.core.net import client_address
from sprechzeit.legal.models import LegalDocument
from sprechzeit.legal.selectors import legal_document_current
from sprechzeit.partners.errors import (
    ApplicationInvalid,
    ApplicationRateLimited,
    PartnerInvitationInvalid,
    PasswordRefused,
)
from sprechzeit.partners.services import (
    application_submit,
    invitation_accept,
    invitation_device,
    invitation_open,
)
from sprechzeit.platforms.http import PlatformRequest
from sprechzeit.platforms.models import Platform
from sprechzeit.site.partner_forms import ApplicationForm, PartnerInvitationForm
from sprechzeit.site.security_views import BACKEND, NEW_CODES_KEY, authenticator_of


def _platform(request: PlatformRequest) -> Platform:
    if request.platform is None:
        raise Http404(_("Diese Seite gibt es nur auf einer Plattform."))
    return request.platform


def apply(request: PlatformRequest) -> HttpResponse:
    """`/berater-werden/`: what partners get, the partner terms, the application form."""
    platform = _platform(request)
    form = ApplicationForm(request.POST or None, platform=platform)
    context = {
        "form": form,
        "terms": legal_document_current(platform=platform, kind=LegalDocument.Kind.PARTNER_TERMS),
    }
    if request.method == "POST":
        if form.is_spam():  # a filled honeypot: store nothing, tell a bot nothing useful
            return render(
                request, "site/partner_apply.html", {**context, "refused": True}, status=400
            )
        if form.is_valid():
            data = form.cleaned_data
            try:
                application_submit(
                    platform=platform,
                    first_name=data["first_name"],
                    last_name=data["last_name"],
                    email=data["email"],
                    phone_number=data["phone_number"],
                    display_name=data["display_name"],
                    about=data["about"],
                    sample_text=data["sample_text"],
                    categories=list(data["categories"]),
                    language=getattr(request, "LANGUAGE_CODE", "de") or "de",
                    ip=client_address(request),
                )
            except ApplicationRateLimited:
                return render(
                    request,
                    "site/partner_apply.html",
                    {**context, "rate_limited": True},
                    status=429,
                )
            except ApplicationInvalid as exc:
                form.add_error(None, str(exc.message))
            else:
                return redirect("site:partner_apply_done")
    return render(request, "site/partner_apply.html", context, status=form_status(form))


def apply_done(request: PlatformRequest) -> HttpResponse:
    _platform(request)
    return render(
        request,
        "site/message.html",
        {
            "title": _("Vielen Dank für Ihre Bewerbung"),
            "text": _(
                "Wir haben Ihnen eine Eingangsbestätigung geschickt und melden uns in der "
                "Regel innerhalb einer Woche."
            ),
        },
    )


def _invitation_invalid(request: PlatformRequest) -> HttpResponse:
    return render(
        request,
        "site/message.html",
        {"title": _("Einladung ungültig"), "text": PartnerInvitationInvalid.default_message},
        status=400,
    )


@never_cache
def invitation(request: PlatformRequest, token: str) -> HttpResponse:
    """`/berater-werden/einladung/<token>/`: choose a password, scan the secret and
    confirm it with a code; then the partner is logged in (with the second factor) and
    sees the recovery codes once before the onboarding goes on."""
    try:
        live = invitation_open(token=token)
    except PartnerInvitationInvalid:
        return _invitation_invalid(request)
    device = invitation_device(invitation=live)
    form = PartnerInvitationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user, device, codes = invitation_accept(
                token=token, password=form.cleaned_data["password"], code=form.cleaned_data["token"]
            )
        except PasswordRefused as exc:
            form.add_error("password", str(exc.message))
        except WrongCode as exc:
            form.add_error("token", str(exc.message))
        except PartnerInvitationInvalid:
            return _invitation_invalid(request)
        else:
            login(request, user, backend=BACKEND)
            otp_login(request, device)
            request.session[NEW_CODES_KEY] = {"codes": codes, "next": reverse("partner:onboarding")}
            return redirect("site:recovery_codes")
    return render(
        request,
        "site/partner_invitation.html",
        {"form": form, "invited": live.application, **authenticator_of(device)},
        status=form_status(form),
    )
