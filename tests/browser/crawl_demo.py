"""The demo objects the browser crawl fills its paths with (keys: crawl_pages
PLATFORM_OBJECTS and NETWORK_OBJECTS), looked up in the demo server's database.

Run in the server's environment (`python -m tests.browser.crawl_demo`, see
test_crawl.demo_objects); prints one JSON object: per platform slug and for "network",
key → value. What the demo does not hold for the crawl is created once (running it again
reuses it): on each platform a crawl client who topped up, consulted the platform's crawl
partner and started saving a card, and an accepted partner application (its invitation
link); on the network a staff member with an open invitation. The crawl's own people, so
no other browser test finds its demo people changed.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any, Final

import django

CRAWL_CLIENT: Final = "crawl.klient@example.com"
RESET_CLIENT: Final = "crawl.passwort@example.com"
CRAWL_STAFF: Final = "crawl.staff@example.com"
# The partner the crawl logs in as on each platform and on the network's host (demo/seed.py
# PARTNERS); the crawl client consults each platform's.
PARTNER_OF: Final = {
    "coaching": "anna.berger@demo.sprechzeit.de",
    "karten": "luna.stern@demo.sprechzeit.de",
    "network": "anna.berger@demo.sprechzeit.de",
}
PLATFORMS: Final = ("coaching", "karten")


def _client(platform: Any, email: str, password: str | None) -> Any:
    """A confirmed client of `platform` with a wallet (created once)."""
    from sprechzeit.accounts.models import ClientAccount  # noqa: PLC0415 - after setup()
    from sprechzeit.accounts.services import (  # noqa: PLC0415
        client_register,
        email_verification_token,
        user_verify_email,
    )
    from sprechzeit.legal.services import consents_record_signup  # noqa: PLC0415
    from sprechzeit.wallets.services import wallet_open  # noqa: PLC0415

    account = ClientAccount.objects.filter(platform=platform, user__email=email).first()
    if account is not None:
        return account
    account = client_register(platform=platform, email=email, password=password, first_name="Kai")
    consents_record_signup(user=account.user, platform=platform, ip=None)
    wallet_open(client_account=account)
    user_verify_email(token=email_verification_token(user=account.user), platform=platform)
    return account


def _history(account: Any, listing: Any) -> None:
    """The crawl client's first hour: a top-up of 25 €, a consultation of two minutes
    with `listing`, a top-up left at the sandbox checkout and a card being saved."""
    from sprechzeit.consultations import services as consultations  # noqa: PLC0415
    from sprechzeit.consultations.models import Consultation, PartnerPresence  # noqa: PLC0415
    from sprechzeit.core import clock  # noqa: PLC0415
    from sprechzeit.core.money import Money  # noqa: PLC0415
    from sprechzeit.payments.models import Channel, ChannelPolicy  # noqa: PLC0415
    from sprechzeit.payments.services.payments import payment_create_checked  # noqa: PLC0415
    from sprechzeit.payments.services.sandbox import sandbox_top_up  # noqa: PLC0415
    from sprechzeit.payments.services.saved import method_setup_start  # noqa: PLC0415

    if Consultation.objects.filter(client=account).exists():
        return
    policy = ChannelPolicy.objects.get(platform=account.platform, channel=Channel.SANDBOX)
    currency = account.platform.currency
    start = clock.now() - timedelta(hours=1)
    with clock.frozen_at(start):
        sandbox_top_up(client_account=account, policy=policy, amount=Money(2500, currency))
        consultations.presence_set(partner=listing.partner, status=PartnerPresence.Status.ONLINE)
        try:
            consultation = consultations.consultation_request(client=account, listing=listing)
            consultation = consultations.consultation_accept(
                consultation=consultation, partner=listing.partner, now=start
            )
            consultations.consultation_end(
                consultation=consultation, reason="client", now=start + timedelta(seconds=120)
            )
        finally:
            consultations.presence_set(
                partner=listing.partner, status=PartnerPresence.Status.OFFLINE
            )
    payment_create_checked(client_account=account, policy=policy, amount=Money(1000, currency))
    method_setup_start(
        client_account=account,
        policy=policy,
        first_amount=None,
        return_url="/guthaben/zahlungsmittel/fertig/{id}/",
        cancel_url="/guthaben/zahlungsmittel/",
        webhook_url="/",
    )


def _partner_invitation(platform: Any, listing: Any) -> str:
    """A fresh invitation link token of the crawl's accepted application on `platform`."""
    from sprechzeit.accounts.models import User  # noqa: PLC0415
    from sprechzeit.notifications.services import mail_muted  # noqa: PLC0415
    from sprechzeit.partners import services  # noqa: PLC0415
    from sprechzeit.partners.models import PartnerApplication  # noqa: PLC0415

    email = f"crawl.bewerbung.{platform.slug}@example.com"
    with mail_muted():
        application = PartnerApplication.objects.filter(platform=platform, email=email).first()
        if application is None:
            application = services.application_submit(
                platform=platform,
                first_name="Kira",
                last_name="Crawl",
                email=email,
                display_name="Kira Crawl",
                about="Zehn Jahre Erfahrung in der Beratung von Menschen in Umbrüchen, "
                "dazu eine Ausbildung als systemische Beraterin.",
                sample_text="Eine Probe meiner Arbeit: Ich höre zu, frage nach und sage "
                "offen, was ich sehe, ohne etwas zu versprechen.",
                categories=list(listing.categories.all()[:1]),
            )
            support = User.objects.get(email="support@demo.sprechzeit.de", platform__isnull=True)
            application = services.application_accept(
                application_id=application.pk, actor=support, rate_minor=listing.rate_minor
            )
        return services.invitation_issue(application=application)


def _platform_objects(slug: str) -> dict[str, Any]:
    from django.contrib.auth.tokens import default_token_generator  # noqa: PLC0415
    from django.utils.encoding import force_bytes  # noqa: PLC0415
    from django.utils.http import urlsafe_base64_encode  # noqa: PLC0415

    from sprechzeit.accounts.models import Listing  # noqa: PLC0415
    from sprechzeit.accounts.services import email_verification_token  # noqa: PLC0415
    from sprechzeit.consultations.models import Consultation  # noqa: PLC0415
    from sprechzeit.demo.seed import DEMO_PASSWORD  # noqa: PLC0415
    from sprechzeit.payments.models import Payment  # noqa: PLC0415
    from sprechzeit.payments.saved_models import MethodSetup  # noqa: PLC0415
    from sprechzeit.platforms.models import Platform  # noqa: PLC0415
    from sprechzeit.statements.models import Statement  # noqa: PLC0415

    platform = Platform.objects.get(slug=slug)
    listing = Listing.objects.get(platform=platform, partner__user__email=PARTNER_OF[slug])
    client = _client(platform, CRAWL_CLIENT, DEMO_PASSWORD)
    _history(client, listing)
    # Never logged in, so its reset token stays valid however often the crawl logs in.
    resetting = _client(platform, RESET_CLIENT, None).user
    payments = Payment.objects.filter(client_account=client).order_by("created_at")
    statement = (
        Statement.objects.filter(
            partner=listing.partner,
            kind=Statement.Kind.CREDIT_NOTE,
            status=Statement.Status.ISSUED,
        )
        .order_by("pk")
        .first()
    )
    setup = MethodSetup.objects.filter(client_account=client).order_by("created_at").first()
    return {
        "listing_slug": listing.slug,
        "own_listing": listing.pk,
        "consultation": Consultation.objects.filter(client=client).get().pk,
        "payment": payments.filter(credited_at__isnull=False).values_list("pk", flat=True)[0],
        "pending_payment": payments.filter(credited_at__isnull=True).values_list("pk", flat=True)[
            0
        ],
        "method_setup": setup.pk if setup else None,
        "statement": statement.pk if statement else None,
        "verify_token": email_verification_token(user=client.user),
        "reset_uid": urlsafe_base64_encode(force_bytes(resetting.pk)),
        "reset_token": default_token_generator.make_token(resetting),
        "partner_invitation": _partner_invitation(platform, listing),
    }


def _network_objects() -> dict[str, Any]:
    from django.contrib.auth.tokens import default_token_generator  # noqa: PLC0415
    from django.utils.encoding import force_bytes  # noqa: PLC0415
    from django.utils.http import urlsafe_base64_encode  # noqa: PLC0415

    from sprechzeit.accounts.enrolment import staff_invite  # noqa: PLC0415
    from sprechzeit.accounts.models import ClientAccount, Partner, User  # noqa: PLC0415
    from sprechzeit.accounts.services import staff_create  # noqa: PLC0415
    from sprechzeit.collections.models import DunningCase  # noqa: PLC0415
    from sprechzeit.consultations.models import Consultation  # noqa: PLC0415
    from sprechzeit.partners.models import ListingRevision, PartnerApplication  # noqa: PLC0415
    from sprechzeit.payments.models import Dispute, RefundRequest  # noqa: PLC0415
    from sprechzeit.platforms.models import ContactMessage  # noqa: PLC0415
    from sprechzeit.statements.models import Statement  # noqa: PLC0415
    from sprechzeit.support.models import RatingReport  # noqa: PLC0415

    def first(queryset: Any) -> Any:
        found = queryset.order_by("pk").first()
        return found.pk if found is not None else None

    client = ClientAccount.objects.get(platform__slug="coaching", user__email=CRAWL_CLIENT)
    partner = Partner.objects.get(user__email=PARTNER_OF["network"])
    staff = User.objects.filter(email=CRAWL_STAFF, platform__isnull=True).first()
    if staff is None:
        staff = staff_create(email=CRAWL_STAFF, password=None, role="support")
    report = RatingReport.objects.order_by("pk").first()
    return {
        "application": first(PartnerApplication.objects.all()),
        "revision": first(ListingRevision.objects.all()),
        "partner": partner.pk,
        "contact_message": first(ContactMessage.objects.all()),
        "reported_rating": report.rating_id if report is not None else None,
        "client_account": client.pk,
        "consultation": Consultation.objects.filter(client=client).get().pk,
        "own_listing": client.platform.listings.get(partner=partner).pk,
        "statement": first(
            Statement.objects.filter(
                partner=partner,
                kind=Statement.Kind.CREDIT_NOTE,
                status=Statement.Status.ISSUED,
            )
        ),
        "dispute": first(Dispute.objects.all()),
        "refund": first(RefundRequest.objects.all()),
        "dunning_case": first(DunningCase.objects.all()),
        "staff_invitation": staff_invite(user=staff),
        # Never logged in: the token stays valid.
        "reset_uid": urlsafe_base64_encode(force_bytes(staff.pk)),
        "reset_token": default_token_generator.make_token(staff),
    }


def demo_objects() -> dict[str, dict[str, Any]]:
    """Per platform slug and "network": the crawl's objects (None: the demo has none)."""
    found: dict[str, dict[str, Any]] = {slug: _platform_objects(slug) for slug in PLATFORMS}
    found["network"] = _network_objects()
    return found


if __name__ == "__main__":
    django.setup()
    print(json.dumps(demo_objects(), default=str))  # noqa: T201 - the crawl reads it
