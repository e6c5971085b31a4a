"""Onboarding of an accepted applicant: the invitation link (set a password, enrol the
authenticator), the partner terms and the self-billing agreement (consents with
version, time and address in `sprechzeit.legal`), tax and bank data
(`statements.tax_profile_save`). Once all is done the listing waits for staff review
(`ListingRevision` of kind `initial`)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from sprechzeit.accounts.enrolment import recovery_codes_regenerate
from sprechzeit.accounts.errors import WrongCode
from sprechzeit.accounts.models import Partner, User
from sprechzeit.accounts.services import totp_enrolment_device
from sprechzeit.core import clock
from sprechzeit.legal.models import Consent, LegalDocument
from sprechzeit.legal.selectors import legal_document_current
from sprechzeit.partners import errors
from sprechzeit.partners.models import ListingRevision, PartnerApplication, PartnerInvitation
from sprechzeit.partners.services.common import token_digest
from sprechzeit.statements.models import PartnerTaxProfile
from sprechzeit.statements.services import tax_profile_save

PARTNER_KINDS = (LegalDocument.Kind.PARTNER_TERMS, LegalDocument.Kind.SELF_BILLING)


def invitation_open(*, token: str) -> PartnerInvitation:
    """The live invitation of `token`: unused and unexpired; PartnerInvitationInvalid
    otherwise (also for a token that never existed)."""
    invitation = (
        PartnerInvitation.objects.select_related(
            "application__partner__user", "application__platform"
        )
        .filter(token_sha256=token_digest(token))
        .first()
    )
    if (
        invitation is None
        or invitation.used_at is not None
        or invitation.expires_at <= clock.now()
        or invitation.application.partner is None
        or not invitation.application.partner.user.is_active
    ):
        raise errors.PartnerInvitationInvalid()
    return invitation


def invitation_device(*, invitation: PartnerInvitation) -> TOTPDevice:
    """The unconfirmed authenticator shown on the invitation page (kept across reloads)."""
    partner = invitation.application.partner
    assert partner is not None  # invitation_open checked it
    return totp_enrolment_device(user=partner.user)


def invitation_accept(
    *, token: str, password: str, code: str
) -> tuple[User, TOTPDevice, list[str]]:
    """Set the password and confirm the authenticator with `code`; the link is used up.
    Returns the user, the device (to log in with) and fresh recovery codes (shown once).
    Raises PasswordRefused or WrongCode and changes nothing then (but the device's
    throttle after a wrong code)."""
    invitation = invitation_open(token=token)
    user = invitation.application.partner.user  # type: ignore[union-attr]
    try:
        validate_password(password, user=user)
    except ValidationError as exc:
        raise errors.PasswordRefused(" ".join(exc.messages)) from exc
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    compact = code.strip().replace(" ", "")
    if device is None or not (compact.isdigit() and device.verify_token(compact)):
        raise WrongCode()
    with transaction.atomic():
        locked = PartnerInvitation.objects.select_for_update().get(pk=invitation.pk)
        if locked.used_at is not None:
            raise errors.PartnerInvitationInvalid()
        locked.used_at = clock.now()
        locked.save(update_fields=["used_at"])
        user.set_password(password)
        user.email_verified_at = user.email_verified_at or clock.now()
        user.save(update_fields=["password", "email_verified_at"])
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
        codes = recovery_codes_regenerate(user=user)
    return user, device, codes


def onboarding_open(*, partner: Partner) -> PartnerApplication | None:
    """The accepted application whose onboarding the partner has still to finish."""
    return (
        PartnerApplication.objects.select_related("platform", "listing")
        .filter(partner=partner, status=PartnerApplication.Status.ACCEPTED)
        .order_by("submitted_at")
        .first()
    )


def onboarding_documents(*, application: PartnerApplication) -> dict[str, LegalDocument | None]:
    """The partner terms and the self-billing agreement in force on the platform."""
    return {
        str(kind): legal_document_current(platform=application.platform, kind=kind)
        for kind in PARTNER_KINDS
    }


def onboarding_consents(*, partner: Partner, application: PartnerApplication) -> list[Consent]:
    return list(
        Consent.objects.filter(
            user=partner.user,
            document__platform=application.platform,
            purpose__in=[str(kind) for kind in PARTNER_KINDS],
        ).select_related("document")
    )


@transaction.atomic
def onboarding_terms_accept(
    *, partner: Partner, application: PartnerApplication, terms: bool, self_billing: bool, ip: str
) -> list[Consent]:
    """Record the consents to the partner terms and the self-billing agreement in force
    (version, time, address). Both boxes are required (TermsMissing)."""
    if not (terms and self_billing):
        raise errors.TermsMissing()
    documents = onboarding_documents(application=application)
    if any(document is None for document in documents.values()):
        raise errors.TermsMissing()
    moment = clock.now()
    done = {c.purpose for c in onboarding_consents(partner=partner, application=application)}
    return [
        Consent.objects.create(
            user=partner.user, document=document, purpose=kind, at=moment, ip=ip or None
        )
        for kind, document in documents.items()
        if document is not None and kind not in done
    ]


@transaction.atomic
def onboarding_tax_save(
    *, partner: Partner, application: PartnerApplication, fields: dict[str, Any]
) -> PartnerTaxProfile:
    """Save the tax and bank data with the self-billing agreement's date and version
    (from its consent) and finish the onboarding: the listing waits for review."""
    consents = {c.purpose: c for c in onboarding_consents(partner=partner, application=application)}
    agreement = consents.get(Consent.Purpose.SELF_BILLING)
    if agreement is None or Consent.Purpose.PARTNER_TERMS not in consents:
        raise errors.TermsMissing()
    profile = tax_profile_save(
        partner=partner,
        self_billing_accepted_at=agreement.at,
        self_billing_version=f"v{agreement.document.version}",
        **fields,
    )
    locked = PartnerApplication.objects.select_for_update().get(pk=application.pk)
    if locked.status == PartnerApplication.Status.ACCEPTED and locked.listing is not None:
        listing = locked.listing
        revision = ListingRevision.objects.create(
            listing=listing,
            kind=ListingRevision.Kind.INITIAL,
            display_name=listing.display_name,
            headline=listing.headline,
            description=listing.description,
            submitted_at=clock.now(),
        )
        revision.categories.set(listing.categories.all())
        locked.status = PartnerApplication.Status.ONBOARDED
        locked.save(update_fields=["status"])
    return profile
