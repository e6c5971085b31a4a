"""The partner file's actions: adjustments up to and over the limit (a second approver,
never the one who entered it), the ledger after each; suspension and reactivation;
payout runs started and marked sent from the console's services. One audit entry each."""

from __future__ import annotations

import pytest

from sprechzeit.accounts.errors import PartnerSuspended
from sprechzeit.accounts.selectors import listings_published
from sprechzeit.accounts.tests.factories import partner_with_listing
from sprechzeit.audit.models import AuditEntry
from sprechzeit.consultations.errors import PartnerUnavailable
from sprechzeit.consultations.models import PartnerPresence
from sprechzeit.consultations.services import consultation_request, presence_set
from sprechzeit.consultations.tests.factories import scene
from sprechzeit.core import clock
from sprechzeit.core.money import Money
from sprechzeit.ledger.selectors import account_balance
from sprechzeit.ledger.tests.helpers import assert_ledger_sound
from sprechzeit.partners import errors, services
from sprechzeit.partners.models import AdjustmentRequest, PartnerSettings, PayoutRunSent
from sprechzeit.partners.tests.factories import staff
from sprechzeit.payouts.tests.factories import (
    at,
    busy_scene,
    close_month,
    paying_platform,
    settled,
    tax_profile,
)
from sprechzeit.platforms.tests.factories import platform_create
from sprechzeit.statements.models import Adjustment
from sprechzeit.wallets import services as wallets

pytestmark = pytest.mark.django_db


def _payable(partner: object) -> int:
    account = wallets.partner_payable_account(partner=partner, currency="EUR")  # type: ignore[arg-type]
    return account_balance(account=account).posted.minor


def test_an_adjustment_up_to_the_limit_is_booked_at_once() -> None:
    platform = platform_create()
    partner, _listing = partner_with_listing(platform=platform)
    actor = staff("accounting")
    bonus = services.adjustment_request(
        partner=partner,
        platform=platform,
        kind="bonus",
        amount=Money(5000),
        reason="Top-Bewertungen im Oktober",
        actor=actor,
        ip="198.51.100.2",
    )
    assert bonus.status == AdjustmentRequest.Status.BOOKED
    assert bonus.adjustment is not None
    assert bonus.adjustment.kind == Adjustment.Kind.BONUS
    assert _payable(partner) == 5000
    penalty = services.adjustment_request(
        partner=partner,
        platform=platform,
        kind="penalty",
        amount=Money(-2000),
        reason="Termin nicht eingehalten",
        actor=actor,
    )
    assert penalty.adjustment is not None
    assert penalty.adjustment.amount_minor == -2000
    assert "Vertragsstrafe" in penalty.adjustment.description
    assert _payable(partner) == 3000
    assert_ledger_sound()
    assert AuditEntry.objects.filter(action="partner.adjustment").count() == 2


def test_an_adjustment_over_the_limit_needs_a_second_approver() -> None:
    platform = platform_create()
    PartnerSettings.objects.create(platform=platform, adjustment_limit_minor=10000)
    partner, _listing = partner_with_listing(platform=platform)
    first, second = staff("accounting"), staff("admin")
    pending = services.adjustment_request(
        partner=partner,
        platform=platform,
        kind="correction",
        amount=Money(25000),
        reason="Nachzahlung Telefonminuten September",
        actor=first,
    )
    assert pending.status == AdjustmentRequest.Status.PENDING
    assert _payable(partner) == 0
    with pytest.raises(errors.SecondApproverRequired):
        services.adjustment_approve(request_id=pending.pk, actor=first)
    services.adjustment_approve(request_id=pending.pk, actor=second, ip="198.51.100.3")
    pending.refresh_from_db()
    assert pending.status == AdjustmentRequest.Status.BOOKED
    assert pending.decided_by == second
    assert _payable(partner) == 25000
    assert_ledger_sound()
    with pytest.raises(errors.AdjustmentDecided):
        services.adjustment_approve(request_id=pending.pk, actor=second)
    assert AuditEntry.objects.filter(action="partner.adjustment_approve").count() == 1


def test_wrong_signs_zero_and_a_platform_without_a_listing_are_refused() -> None:
    platform = platform_create()
    partner, _listing = partner_with_listing(platform=platform)
    actor = staff("accounting")
    for kind, minor in (("bonus", -100), ("penalty", 100), ("correction", 0)):
        with pytest.raises(errors.AdjustmentInvalid):
            services.adjustment_request(
                partner=partner,
                platform=platform,
                kind=kind,
                amount=Money(minor),
                reason="x",
                actor=actor,
            )
    with pytest.raises(errors.AdjustmentInvalid):
        services.adjustment_request(
            partner=partner,
            platform=platform_create(),
            kind="bonus",
            amount=Money(100),
            reason="x",
            actor=actor,
        )
    with pytest.raises(errors.ReasonMissing):
        services.adjustment_request(
            partner=partner,
            platform=platform,
            kind="bonus",
            amount=Money(100),
            reason=" ",
            actor=actor,
        )
    assert not AuditEntry.objects.exists()


def test_a_suspended_partner_cannot_go_online_or_be_booked_and_is_hidden() -> None:
    s = scene(balance_minor=10_000)
    presence_set(partner=s.partner, status=PartnerPresence.Status.ONLINE)
    actor = staff("admin")
    services.partner_suspend(partner=s.partner, actor=actor, reason="Beschwerden prüfen")
    assert PartnerPresence.objects.get(partner=s.partner).status == PartnerPresence.Status.OFFLINE
    with pytest.raises(PartnerSuspended):
        presence_set(partner=s.partner, status=PartnerPresence.Status.ONLINE)
    assert not listings_published(s.platform).exists()
    s.listing.refresh_from_db()
    with pytest.raises(PartnerUnavailable):
        consultation_request(client=s.client, listing=s.listing, now=clock.now())
    services.partner_reactivate(partner=s.partner, actor=actor, reason="geklärt")
    assert [listing.pk for listing in listings_published(s.platform)] == [s.listing.pk]
    presence_set(partner=s.partner, status=PartnerPresence.Status.ONLINE)
    assert [e.action for e in AuditEntry.objects.order_by("at", "pk")] == [
        "partner.suspend",
        "partner.reactivate",
    ]


def test_a_payout_run_is_started_and_marked_sent_once_with_one_entry_each() -> None:
    platform = paying_platform()
    s = busy_scene(platform=platform)
    tax_profile(s.partner)
    settled(s, seconds=1800, when=at(2026, 10, 10))
    close_month()
    actor = staff("accounting")
    with clock.frozen_at(at(2026, 11, 3)):
        run = services.payout_run_start(
            legal_entity=platform.legal_entity, actor=actor, ip="198.51.100.4"
        )
    assert run.count == 1
    assert run.file
    entry = AuditEntry.objects.get(action="payout.run_start")
    assert entry.after is not None
    assert entry.after["total_minor"] == run.total_minor
    services.payout_run_mark_sent(run=run, actor=actor)
    assert PayoutRunSent.objects.get(run=run).sent_by == actor
    with pytest.raises(errors.PayoutRunAlreadySent):
        services.payout_run_mark_sent(run=run, actor=actor)
    assert AuditEntry.objects.filter(action="payout.run_sent").count() == 1
    assert_ledger_sound()
