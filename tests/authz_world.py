"""The people and objects the authorization matrix requests URLs with: two platforms, a
client of each, two partners, one staff login per role, a superuser, and objects owned
by platform A's client and the first partner (a consultation, a payment, a credit note,
a SEPA payout run, a listing)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.contrib.auth.tokens import default_token_generator
from django.test import Client
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django_otp.plugins.otp_totp.models import TOTPDevice

from sprechzeit.accounting.invoices import client_invoices_issue
from sprechzeit.accounting.models import ClientBilling, ClientInvoice
from sprechzeit.accounts import roles
from sprechzeit.accounts.access import Actor
from sprechzeit.accounts.enrolment import staff_invite
from sprechzeit.accounts.models import User
from sprechzeit.accounts.services import email_verification_token, staff_create
from sprechzeit.accounts.tests.factories import client_create, login_verified, partner_with_listing
from sprechzeit.collections.models import DisputeEvidence, DunningCase
from sprechzeit.consultations.models import Rating
from sprechzeit.core import clock
from sprechzeit.core.money import Money
from sprechzeit.legal.services import legal_documents_start
from sprechzeit.partners.models import ListingRevision, PartnerApplication
from sprechzeit.payments.models import Dispute, ProviderKind, RefundRequest
from sprechzeit.payments.services import payments
from sprechzeit.payments.services.sandbox import sandbox_deliver
from sprechzeit.payments.services.saved import method_setup_finish, method_setup_start
from sprechzeit.payments.tests.factories import channel, provider_config
from sprechzeit.payouts import services as payouts
from sprechzeit.payouts.models import PayoutPolicy
from sprechzeit.payouts.tests.factories import at, busy_scene, close_month, settled, tax_profile
from sprechzeit.platforms.models import ContactMessage
from sprechzeit.platforms.tests.factories import legal_entity_create, platform_create
from sprechzeit.statements.models import Statement
from sprechzeit.support.models import GoodwillCredit

HOSTS = {"a": "a.localhost", "b": "b.localhost", "net": "127.0.0.1"}
STAFF_ROLES = {
    "support": roles.SUPPORT,
    "risk": roles.RISK,
    "accounting": roles.ACCOUNTING,
    "admin": roles.ADMIN,
}
ACTORS = ("anonymous", "client_a", "client_b", "partner_1", "partner_2", *STAFF_ROLES, "superuser")


def counts_as(actor: str, host: str) -> frozenset[Actor]:
    """What `actor` is on `host`, by the test's own account: a client is a client on its
    platform's host only (a visitor elsewhere)."""
    if actor in ("client_a", "client_b"):
        return frozenset({Actor.CLIENT if actor == f"client_{host}" else Actor.ANONYMOUS})
    if actor.startswith("partner"):
        return frozenset({Actor.PARTNER})
    if actor in STAFF_ROLES:
        return frozenset({Actor(STAFF_ROLES[actor])})
    if actor == "superuser":
        return frozenset({Actor.SUPERUSER})
    return frozenset({Actor.ANONYMOUS})


@dataclass
class World:
    users: dict[str, User]
    kwargs: dict[str, dict[str, Any]]  # view name → path parameters
    owners: dict[str, frozenset[str]]  # view name → the actors whose object it names
    home_a: frozenset[str]  # view names whose object exists on platform A only
    objects: dict[str, Any] = field(default_factory=dict)

    def browser(self, actor: str) -> Client:
        browser = Client()
        user = self.users.get(actor)
        if user is not None:
            login_verified(browser, user)
        return browser


def _money_scene() -> tuple[Any, Any, Statement, Any]:
    """Platform A with a settled consultation, a credit note and a payout run."""
    entity = legal_entity_create(
        iban="DE89370400440532013000", bic="COBADEFFXXX", street="Hauptstraße 5", city="München"
    )
    a = platform_create(slug="a", legal_entity=entity)
    PayoutPolicy.objects.create(legal_entity=entity, threshold_minor=1000)
    scene = busy_scene(platform=a)
    tax_profile(scene.partner)
    consultation = settled(scene, seconds=1800, when=at(2026, 10, 10))
    close_month()
    with clock.frozen_at(at(2026, 11, 3)):
        run = payouts.payout_run_create(legal_entity=entity)
    assert run.file is not None
    statement = Statement.objects.get(partner=scene.partner)
    # client A buys as a business: its October invoice (EN 16931, type 380)
    ClientBilling.objects.create(
        client=scene.client,
        is_business=True,
        name="Muster GmbH",
        street="Marktplatz 1",
        postal_code="80331",
        city="München",
        updated_at=clock.now(),
    )
    with clock.frozen_at(at(2026, 11, 3)):
        client_invoices_issue(month="2026-10")
    return scene, consultation, statement, run


def _risk_objects(payment: Any, staff: User) -> dict[str, dict[str, Any]]:
    """The risk queues' objects (rows only, nothing booked: client A stays unblocked): a
    dispute with a piece of evidence, a refund request, a dunning case."""
    now = clock.now()
    dispute = Dispute.objects.create(
        payment=payment, external_id="authz", amount_minor=500, opened_at=now
    )
    evidence = DisputeEvidence.objects.create(
        dispute=dispute,
        uploaded_by=staff,
        file_name="beleg.pdf",
        content_type="application/pdf",
        content=b"%PDF-1.4",
        size=10,
        sha256="0" * 64,
        uploaded_at=now,
    )
    account = payment.client_account
    request = RefundRequest.objects.create(
        client_account=account, amount_minor=500, currency="EUR", created_at=now
    )
    case = DunningCase.objects.create(
        platform=account.platform,
        client_account=account,
        currency="EUR",
        owed_at_open_minor=500,
        opened_at=now,
        cycle_started_at=now,
    )
    return {
        "backoffice:risk_dispute": {"dispute_id": dispute.pk},
        "backoffice:risk_dispute_note": {"dispute_id": dispute.pk},
        "backoffice:risk_dispute_evidence": {"dispute_id": dispute.pk},
        "backoffice:risk_dispute_outcome": {"dispute_id": dispute.pk},
        "backoffice:risk_evidence_file": {"evidence_id": evidence.pk},
        "backoffice:risk_refund": {"request_id": request.pk},
        "backoffice:risk_refund_approve": {"request_id": request.pk},
        "backoffice:risk_refund_reject": {"request_id": request.pk},
        "backoffice:risk_case": {"case_id": case.pk},
        "backoffice:risk_case_instalments": {"case_id": case.pk},
        "backoffice:risk_case_write_off": {"case_id": case.pk},
        "backoffice:risk_claim": {"kind": "dispute", "pk": dispute.pk},
    }


def world_create() -> World:
    scene, consultation, statement, run = _money_scene()
    a = scene.platform
    b = platform_create(slug="b")
    for platform in (a, b):  # the legal pages exist
        legal_documents_start(platform=platform, valid_from=datetime(2020, 1, 1, tzinfo=UTC))
    partner_2, _listing_2 = partner_with_listing(platform=a)
    client_b = client_create(platform=b)
    config = provider_config(a, ProviderKind.SANDBOX)
    policy = channel(config, "sandbox")
    payment = payments.payment_start(
        client_account=scene.client,
        policy=policy,
        amount=Money(1000, "EUR"),
        return_url="/r/{id}",
        cancel_url="/c",
        webhook_url="/h",
    )
    credited = payments.payment_start(
        client_account=scene.client,
        policy=policy,
        amount=Money(2000, "EUR"),
        return_url="/r/{id}",
        cancel_url="/c",
        webhook_url="/h",
    )
    sandbox_deliver(payment=credited, event_type="payment.succeeded")
    # A saved (sandbox) method of client A and the setup that saved it.
    setup, _url = method_setup_start(
        client_account=scene.client,
        policy=policy,
        first_amount=None,
        return_url="/r/{id}",
        cancel_url="/c",
        webhook_url="/h",
    )
    method = method_setup_finish(setup=setup)
    assert method is not None
    users: dict[str, User] = {
        "client_a": scene.client.user,
        "client_b": client_b.user,
        "partner_1": scene.partner.user,
        "partner_2": partner_2.user,
        "superuser": User.objects.create_superuser("chefin@example.com", "richtig-geheim-42"),
    }
    for actor, role in STAFF_ROLES.items():
        users[actor] = staff_create(email=f"{actor}@example.com", password=None, role=role)
    # Support's contact messages, so their change form is opened with a real object.
    contact = ContactMessage.objects.create(
        platform=a, email="x@example.com", subject="Frage", message="?"
    )
    # --- support: a rating of A's consultation and a goodwill credit waiting for approval
    rating = Rating.objects.create(
        consultation=consultation, listing=scene.listing, stars=3, created_at=clock.now()
    )
    goodwill = GoodwillCredit.objects.create(
        client_account=scene.client,
        kind=GoodwillCredit.Kind.BONUS,
        amount_minor=5000,
        currency="EUR",
        reason="Test",
        status=GoodwillCredit.Status.PENDING,
        requested_by=users["support"],
        requested_at=clock.now(),
    )
    invited = staff_create(email="neu@example.com", password=None, role=roles.SUPPORT)
    device = TOTPDevice.objects.create(user=users["superuser"], name="Test", confirmed=True)
    user_a = scene.client.user
    # --- partners (issue 13): an application and a listing revision waiting for review
    application = PartnerApplication.objects.create(
        platform=a,
        first_name="Bea",
        last_name="Bewerberin",
        email="bea@example.com",
        display_name="Bea",
        about="Erfahrung",
        sample_text="Probe",
        submitted_at=datetime(2026, 11, 1, tzinfo=UTC),
    )
    revision = ListingRevision.objects.create(
        listing=scene.listing,
        display_name="Neu",
        submitted_at=datetime(2026, 11, 1, tzinfo=UTC),
    )
    kwargs: dict[str, dict[str, Any]] = {
        "backoffice:partners_application": {"pk": application.pk},
        "backoffice:partners_revision": {"pk": revision.pk},
        "backoffice:partners_partner": {"pk": scene.partner.pk},
        "backoffice:partners_payout_run_file": {"pk": run.pk},
        "payments:result": {"payment_id": payment.pk},
        "payments:receipt": {"payment_id": credited.pk},
        "payments:sandbox_checkout": {"payment_id": payment.pk},
        "payments:webhook": {"config_id": config.pk},
        "payments:method_done": {"setup_id": setup.pk},
        "payments:sandbox_card": {"setup_id": setup.pk},
        "payments:method_charge": {"method_id": method.pk},
        "payments:method_delete": {"method_id": method.pk},
        "consultations:voice": {"config_id": uuid.uuid4(), "step": "start"},
        "consultations:start": {"slug": scene.listing.slug},
        "consultations:favourite_toggle": {"slug": scene.listing.slug},
        "consultations:online_alert": {"slug": scene.listing.slug},
        "consultations:room": {"consultation_id": consultation.pk},
        "consultations:rate": {"consultation_id": consultation.pk},
        "statements:download": {"pk": statement.pk, "kind": "pdf"},
        "statements:objection": {"pk": statement.pk},
        "accounting:client_invoice": {"pk": ClientInvoice.objects.get(client=scene.client).pk},
        "accounting:client_invoice_pdf": {"pk": ClientInvoice.objects.get(client=scene.client).pk},
        "statements:staff_download": {"pk": statement.pk, "kind": "pdf"},
        "payouts:staff_file": {"pk": run.pk},
        "partner:listing_edit": {"listing_id": scene.listing.pk},
        "site:listing": {"slug": scene.listing.slug},
        "site:listing_status": {"slug": scene.listing.slug},
        "site:verify_email": {"token": email_verification_token(user=user_a)},
        "site:staff_invitation": {"token": staff_invite(user=invited)},
        "site:password_reset_confirm": {
            "uidb64": urlsafe_base64_encode(force_bytes(user_a.pk)),
            "token": default_token_generator.make_token(user_a),
        },
        "admin:auth_user_password_change": {"id": user_a.pk},
        "admin:otp_totp_totpdevice_config": {"pk": device.pk},
        "admin:otp_totp_totpdevice_qrcode": {"pk": device.pk},
        "admin:app_list": {"app_label": "accounts"},
        "media": {"path": "nichts.png"},
        # --- support
        "site:rating_report": {"slug": scene.listing.slug},
        "backoffice:support_message": {"pk": contact.pk},
        "backoffice:support_rating": {"pk": rating.pk},
        "backoffice:support_client": {"pk": scene.client.pk},
        "backoffice:support_client_action": {"pk": scene.client.pk},
        "backoffice:support_client_unblock": {"pk": scene.client.pk},
        "backoffice:support_client_close": {"pk": scene.client.pk},
        "backoffice:support_client_transcript": {
            "pk": scene.client.pk,
            "consultation_id": consultation.pk,
        },
        "backoffice:support_goodwill_decide": {"pk": goodwill.pk},
    }
    kwargs.update(_risk_objects(credited, users["risk"]))
    owners = {
        "payments:result": frozenset({"client_a"}),
        "payments:receipt": frozenset({"client_a"}),
        "payments:sandbox_checkout": frozenset({"client_a"}),
        "payments:method_done": frozenset({"client_a"}),
        "payments:sandbox_card": frozenset({"client_a"}),
        "payments:method_charge": frozenset({"client_a"}),
        "payments:method_delete": frozenset({"client_a"}),
        "consultations:room": frozenset({"client_a", "partner_1"}),
        "consultations:rate": frozenset({"client_a"}),
        "partner:listing_edit": frozenset({"partner_1"}),
        "statements:download": frozenset({"partner_1"}),
        "statements:objection": frozenset({"partner_1"}),
        "accounting:client_invoice": frozenset({"client_a"}),
        "accounting:client_invoice_pdf": frozenset({"client_a"}),
    }
    objects = {"consultation": consultation, "platform_a": a, "platform_b": b}
    home_a = frozenset(
        {
            "site:listing",
            "site:listing_status",
            # The start page names platform A's listing (its confirmation step is a GET).
            "consultations:start",
            "site:verify_email",
            "site:password_reset_confirm",
        }
    )
    return World(users=users, kwargs=kwargs, owners=owners, home_a=home_a, objects=objects)
