"""From an application to a live listing: submit (bounded, hostile input kept as text,
a receipt), accept (login, unpublished listing, invitation mail), the invitation
(password, TOTP), consents with version and time, tax data, staff approval."""

from __future__ import annotations

import pytest
from django.core import mail
from django.test import Client

from sprechzeit.accounts.errors import WrongCode
from sprechzeit.accounts.selectors import listings_published
from sprechzeit.accounts.tests.factories import totp_now
from sprechzeit.audit.models import AuditEntry
from sprechzeit.legal.models import Consent
from sprechzeit.partners import errors, services
from sprechzeit.partners.models import ListingRevision, PartnerApplication
from sprechzeit.partners.tests.factories import (
    PASSWORD,
    application,
    invitation_token,
    onboarded,
    platform_with_texts,
    staff,
)
from sprechzeit.statements.models import PartnerTaxProfile

pytestmark = pytest.mark.django_db


def _templates() -> list[str]:
    return [m.extra_headers.get("X-Sprechzeit-Mail", "") for m in mail.outbox]


def test_an_application_is_stored_bounded_and_the_applicant_gets_a_receipt(
    django_capture_on_commit_callbacks: object,
) -> None:
    platform = platform_with_texts()
    hostile = "<script>alert(1)</script>\x00" + "x" * 5000
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        stored = services.application_submit(
            platform=platform,
            first_name="<b>Eve</b>",
            last_name="O'Brien",
            email="Eve@Example.com ",
            display_name="Eve",
            about=hostile,
            sample_text=hostile,
            categories=[],
            ip="203.0.113.1",
        )
    stored.refresh_from_db()
    assert stored.email == "eve@example.com"
    assert "\x00" not in stored.about
    assert len(stored.about) == 2000
    assert len(stored.sample_text) == 3000
    assert stored.status == PartnerApplication.Status.NEW
    receipt = mail.outbox[-1]
    assert receipt.to == ["eve@example.com"]
    assert "<script>" not in receipt.body  # the receipt never relays the texts


def test_too_short_texts_a_bad_address_and_too_many_applications_are_refused() -> None:
    platform = platform_with_texts()
    with pytest.raises(errors.ApplicationInvalid):
        services.application_submit(
            platform=platform,
            first_name="A",
            last_name="B",
            email="a@example.com",
            display_name="A",
            about="kurz",
            sample_text="kurz",
            categories=[],
            ip="1.2.3.4",
        )
    with pytest.raises(errors.ApplicationInvalid):
        services.application_submit(
            platform=platform,
            first_name="A",
            last_name="B",
            email="not-an-address",
            display_name="A",
            about="x" * 50,
            sample_text="x" * 50,
            categories=[],
            ip="1.2.3.4",
        )
    for _attempt in range(3):
        services.application_submit(
            platform=platform,
            first_name="A",
            last_name="B",
            email="a@example.com",
            display_name="A",
            about="x" * 50,
            sample_text="x" * 50,
            categories=[],
            ip="1.2.3.5",
        )
    with pytest.raises(errors.ApplicationRateLimited):
        services.application_submit(
            platform=platform,
            first_name="A",
            last_name="B",
            email="a@example.com",
            display_name="A",
            about="x" * 50,
            sample_text="x" * 50,
            categories=[],
            ip="1.2.3.5",
        )


def test_accept_invites_and_the_onboarding_ends_in_a_listing_awaiting_review(
    django_capture_on_commit_callbacks: object,
) -> None:
    platform = platform_with_texts()
    actor = staff()
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        partner = onboarded(platform=platform, actor=actor)
    assert "partner_invitation" in _templates()
    accepted = PartnerApplication.objects.get(partner=partner)
    assert accepted.status == PartnerApplication.Status.ONBOARDED
    assert AuditEntry.objects.filter(action="partner.application_accept").count() == 1
    listing = accepted.listing
    assert listing is not None
    assert not listing.is_published
    partner.user.refresh_from_db()
    assert partner.user.check_password(PASSWORD)
    consents = {c.purpose: c for c in Consent.objects.filter(user=partner.user)}
    assert set(consents) == {"partner_terms", "self_billing"}
    assert consents["self_billing"].document.kind == "self_billing"
    assert consents["self_billing"].document.platform == platform
    assert str(consents["self_billing"].ip) == "203.0.113.9"
    profile = PartnerTaxProfile.objects.get(partner=partner)
    assert profile.self_billing_accepted_at == consents["self_billing"].at
    assert profile.self_billing_version == f"v{consents['self_billing'].document.version}"
    assert not listings_published(platform).exists()

    revision = ListingRevision.objects.get(listing=listing)
    assert revision.kind == ListingRevision.Kind.INITIAL
    services.revision_approve(revision_id=revision.pk, actor=actor, ip="198.51.100.1")
    assert [listing.pk for listing in listings_published(platform)] == [listing.pk]
    assert AuditEntry.objects.filter(action="listing.revision_approve").count() == 1
    page = Client().get(f"/berater/{listing.slug}/", headers={"host": f"{platform.slug}.localhost"})
    assert page.status_code == 200
    assert "Bea – Karten" in page.content.decode()


def test_the_invitation_is_one_time_and_refuses_a_wrong_code_or_weak_password(
    django_capture_on_commit_callbacks: object,
) -> None:
    platform = platform_with_texts()
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        services.application_accept(
            application_id=application(platform=platform).pk, actor=staff(), rate_minor=199
        )
    token = invitation_token()
    device = services.invitation_device(invitation=services.invitation_open(token=token))
    with pytest.raises(errors.PasswordRefused):
        services.invitation_accept(token=token, password="123", code=totp_now(device))
    with pytest.raises(WrongCode):
        services.invitation_accept(token=token, password=PASSWORD, code="000000")
    device.refresh_from_db()
    assert device.throttling_failure_count == 1  # the wrong code counted
    device.throttle_reset()  # as if the throttle's delay had passed
    services.invitation_accept(token=token, password=PASSWORD, code=totp_now(device))
    with pytest.raises(errors.PartnerInvitationInvalid):
        services.invitation_open(token=token)
    with pytest.raises(errors.PartnerInvitationInvalid):
        services.invitation_open(token="made-up")


def test_reject_sends_a_polite_mail_and_a_decided_application_cannot_be_decided_again(
    django_capture_on_commit_callbacks: object,
) -> None:
    platform = platform_with_texts()
    pending = application(platform=platform)
    actor = staff()
    with pytest.raises(errors.ReasonMissing):
        services.application_reject(application_id=pending.pk, actor=actor, reason="  ")
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        services.application_reject(
            application_id=pending.pk, actor=actor, reason="Textprobe zu knapp"
        )
    rejection = mail.outbox[-1]
    assert rejection.extra_headers["X-Sprechzeit-Mail"] == "partner_application_rejected"
    assert "Textprobe zu knapp" not in rejection.body  # the internal reason stays internal
    entry = AuditEntry.objects.get(action="partner.application_reject")
    assert entry.reason == "Textprobe zu knapp"
    assert entry.actor == actor
    with pytest.raises(errors.ApplicationDecided):
        services.application_accept(application_id=pending.pk, actor=actor, rate_minor=199)
    assert AuditEntry.objects.filter(action__startswith="partner.application").count() == 1


def test_terms_need_both_boxes_and_tax_data_need_the_consents() -> None:
    platform = platform_with_texts()
    accepted = services.application_accept(
        application_id=application(platform=platform).pk, actor=staff(), rate_minor=199
    )
    partner = accepted.partner
    assert partner is not None
    with pytest.raises(errors.TermsMissing):
        services.onboarding_terms_accept(
            partner=partner, application=accepted, terms=True, self_billing=False, ip=""
        )
    with pytest.raises(errors.TermsMissing):
        services.onboarding_tax_save(partner=partner, application=accepted, fields={})
    assert not Consent.objects.filter(user=partner.user).exists()
