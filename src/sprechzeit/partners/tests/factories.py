"""Factories for the partners tests: an application on a platform with the legal texts
issued, a staff member, an accepted applicant through to the finished onboarding."""

from __future__ import annotations

import itertools
import re

from django.core import mail as outbox
from django_otp.plugins.otp_totp.models import TOTPDevice

from sprechzeit.accounts.models import Category, Partner, User
from sprechzeit.accounts.services import staff_create
from sprechzeit.accounts.tests.factories import totp_now
from sprechzeit.legal.services import legal_documents_start
from sprechzeit.notifications.models import OutboundMail
from sprechzeit.partners import services
from sprechzeit.partners.models import PartnerApplication
from sprechzeit.platforms.models import Platform
from sprechzeit.platforms.tests.factories import platform_create

_seq = itertools.count(1)
ABOUT = "Seit zwölf Jahren lege ich Karten und begleite Menschen in Umbruchzeiten."
SAMPLE = "Liebe Klientin, die Karten zeigen einen Neuanfang – lassen Sie uns gemeinsam schauen."
PASSWORD = "ein-sehr-langes-passwort-77"
TAX_FIELDS = {
    "legal_name": "Bea Beispiel",
    "street": "Musterweg",
    "building_number": "3",
    "postal_code": "10115",
    "city": "Berlin",
    "country": "DE",
    "vat_status": "small_business",
    "tax_number": "1123456789",
    "vat_id": "",
    "iban": "DE02100100100006820101",
    "account_holder": "Bea Beispiel",
    "language": "de",
}


def platform_with_texts(**overrides: object) -> Platform:
    platform = platform_create(**overrides)  # type: ignore[arg-type]
    legal_documents_start(platform=platform)
    Category.objects.create(platform=platform, name="Kartenlegen", slug="karten")
    return platform


def staff(role: str = "support") -> User:
    return staff_create(email=f"{role}{next(_seq)}@staff.example", password=None, role=role)


def application(*, platform: Platform, email: str | None = None) -> PartnerApplication:
    return services.application_submit(
        platform=platform,
        first_name="Bea",
        last_name="Beispiel",
        email=email or f"bea{next(_seq)}@example.com",
        display_name="Bea – Karten",
        about=ABOUT,
        sample_text=SAMPLE,
        categories=list(Category.objects.filter(platform=platform)),
        ip=f"203.0.113.{next(_seq) % 250}",
    )


def invitation_token() -> str:
    """The token of the newest invitation mail: as queued, or (its stored body is emptied
    once sent) as sent."""
    queued = OutboundMail.objects.filter(template="partner_invitation").order_by("-created_at")
    texts = [mail.body_text for mail in queued[:1]] + [
        str(message.body)
        for message in reversed(outbox.outbox)
        if message.extra_headers.get("X-Sprechzeit-Mail") == "partner_invitation"
    ]
    found = re.search(r"/berater-werden/einladung/([^/\s]+)/", "\n".join(texts))
    assert found is not None
    return found.group(1)


def onboarded(*, platform: Platform, actor: User) -> Partner:
    """An applicant accepted, the invitation followed, terms and tax data done."""
    accepted = services.application_accept(
        application_id=application(platform=platform).pk, actor=actor, rate_minor=199
    )
    token = invitation_token()
    device = services.invitation_device(invitation=services.invitation_open(token=token))
    services.invitation_accept(token=token, password=PASSWORD, code=totp_now(device))
    partner = accepted.partner
    assert partner is not None
    services.onboarding_terms_accept(
        partner=partner, application=accepted, terms=True, self_billing=True, ip="203.0.113.9"
    )
    services.onboarding_tax_save(partner=partner, application=accepted, fields=dict(TAX_FIELDS))
    assert TOTPDevice.objects.filter(user=partner.user, confirmed=True).count() == 1
    return partner
