"""Lifecycle, money and bad input of consultations, through the real services."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.core.cache import cache

from sprechzeit.accounts.tests.factories import client_create
from sprechzeit.consultations import errors
from sprechzeit.consultations.heartbeats import heartbeat_record
from sprechzeit.consultations.models import Consultation, PartnerPresence
from sprechzeit.consultations.selectors import (
    Availability,
    consultation_for_user,
    listing_rating_summary,
    listings_availability,
    partner_availability,
)
from sprechzeit.consultations.services import (
    chat_message_create,
    consultation_accept,
    consultation_cancel,
    consultation_decline,
    consultation_end,
    consultation_extend,
    consultation_miss,
    consultation_request,
    consultation_settle,
    consultations_reap,
    rating_create,
)
from sprechzeit.consultations.tests.factories import Scene, scene, top_up, wallet_available
from sprechzeit.core.money import Money
from sprechzeit.ledger.models import Transfer
from sprechzeit.ledger.tests.helpers import assert_ledger_sound
from sprechzeit.wallets import services as wallets

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
Reason = Consultation.EndReason


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


@pytest.fixture(autouse=True)
def _clear_cache() -> None:
    cache.clear()


def start(**kwargs: Any) -> tuple[Consultation, Scene]:
    s = scene(**kwargs)
    consultation = consultation_request(client=s.client, listing=s.listing, now=at(-5))
    consultation = consultation_accept(consultation=consultation, partner=s.partner, now=at(0))
    return consultation, s


def test_accept_holds_the_balance_and_knows_the_cut_off() -> None:
    consultation, s = start(balance_minor=500, rate_minor=200)
    assert consultation.status == Consultation.Status.LIVE
    assert consultation.held_minor == 500
    assert consultation.paid_seconds == 150
    assert wallet_available(s.client) == 0
    assert partner_availability(partner=s.partner) == Availability.BUSY
    assert_ledger_sound()


def test_end_settles_split_and_voids_the_rest() -> None:
    consultation, s = start(balance_minor=500, rate_minor=200)
    ended = consultation_end(consultation=consultation, reason=Reason.CLIENT, now=at(90.7))
    assert ended.status == Consultation.Status.SETTLED
    assert (ended.duration_seconds, ended.billed_seconds, ended.amount_minor) == (90, 90, 300)
    # 19 % VAT inside 3.00 €: net 2.52 €, VAT 0.48 €; 50 % of net to the partner.
    assert (ended.vat_minor, ended.partner_share_minor, ended.platform_share_minor) == (
        48,
        126,
        126,
    )
    assert wallet_available(s.client) == 200
    assert partner_availability(partner=s.partner) == Availability.ONLINE
    assert_ledger_sound()


def test_settling_twice_books_once() -> None:
    consultation, _s = start()
    consultation_end(consultation=consultation, reason=Reason.PARTNER, now=at(30))
    transfers = Transfer.objects.count()
    again = consultation_end(consultation=consultation, reason=Reason.CLIENT, now=at(60))
    assert again.duration_seconds == 30
    consultation_settle(consultation=consultation, now=at(70))
    assert Transfer.objects.count() == transfers
    assert_ledger_sound()


def test_never_more_than_held_per_second() -> None:
    consultation, s = start(balance_minor=500, rate_minor=200)
    ended = consultation_end(consultation=consultation, reason=Reason.BALANCE, at_second=400)
    assert (ended.duration_seconds, ended.amount_minor) == (150, 500)
    assert wallet_available(s.client) == 0
    assert_ledger_sound()


def test_sixty_sixty_blocks_cut_off_at_whole_minutes() -> None:
    consultation, s = start(
        balance_minor=500, rate_minor=200, increment_first_seconds=60, increment_next_seconds=60
    )
    assert consultation.paid_seconds == 120
    ended = consultation_end(consultation=consultation, reason=Reason.BALANCE, at_second=120)
    assert (ended.billed_seconds, ended.amount_minor) == (120, 400)
    assert wallet_available(s.client) == 100
    assert_ledger_sound()


def test_grace_and_connect_fee() -> None:
    consultation, s = start(
        balance_minor=1000, rate_minor=200, grace_seconds=10, connect_fee_minor=50
    )
    # 1000 − 50 fee pays 285 s after 10 free seconds.
    assert consultation.paid_seconds == 295
    short = consultation_end(consultation=consultation, reason=Reason.CLIENT, at_second=8)
    assert short.amount_minor == 0
    assert wallet_available(s.client) == 1000
    assert_ledger_sound()


def test_top_up_extends_with_a_second_hold() -> None:
    consultation, s = start(balance_minor=500, rate_minor=200)
    top_up(client=s.client, minor=1000)
    extended = consultation_extend(consultation=consultation, now=at(100))
    assert (extended.held_minor, extended.paid_seconds) == (1500, 450)
    assert extended.holds.count() == 2
    ended = consultation_end(consultation=extended, reason=Reason.CLIENT, at_second=200)
    assert ended.amount_minor == 667  # 666.66… → 667
    assert wallet_available(s.client) == 833
    # Nothing more to hold: a second extension is a no-op.
    assert consultation_extend(consultation=ended, now=at(210)).holds.count() == 2
    assert_ledger_sound()


def test_extension_is_capped_by_the_maximum_length() -> None:
    consultation, s = start(balance_minor=500, rate_minor=200, max_duration_seconds=300)
    top_up(client=s.client, minor=5000)
    extended = consultation_extend(consultation=consultation, now=at(10))
    assert (extended.held_minor, extended.paid_seconds) == (1000, 300)
    assert wallet_available(s.client) == 4500
    consultation_end(consultation=extended, reason=Reason.MAX_DURATION, at_second=300)
    assert_ledger_sound()


def test_decline_cancel_and_miss_book_nothing() -> None:
    s = scene()
    before = Transfer.objects.count()
    first = consultation_request(client=s.client, listing=s.listing, now=at(0))
    assert consultation_decline(consultation=first, partner=s.partner).status == "declined"
    second = consultation_request(client=s.client, listing=s.listing, now=at(1))
    assert consultation_cancel(consultation=second, client=s.client).status == "cancelled"
    third = consultation_request(client=s.client, listing=s.listing, now=at(2))
    assert consultation_miss(consultation=third, now=at(30)).status == "requested"  # not due
    assert consultation_miss(consultation=third, now=at(62)).status == "missed"
    assert Transfer.objects.count() == before
    with pytest.raises(errors.InvalidTransition):
        consultation_accept(consultation=third, partner=s.partner)
    assert_ledger_sound()


def test_missed_requests_in_a_row_set_the_partner_offline() -> None:
    s = scene(missed_requests_offline=2, balance_minor=1000)
    for n in range(2):
        request = consultation_request(client=s.client, listing=s.listing, now=at(100 * n))
        consultation_miss(consultation=request, now=at(100 * n + 61))
    presence = PartnerPresence.objects.get(partner=s.partner)
    assert (presence.status, presence.missed_in_row) == ("offline", 2)
    with pytest.raises(errors.PartnerUnavailable):
        consultation_request(client=s.client, listing=s.listing)
    assert listings_availability(s.platform, listing_ids=[s.listing.pk]) == {
        s.listing.pk: Availability.OFFLINE
    }


def test_bad_input_is_refused_and_books_nothing() -> None:
    s = scene(balance_minor=2)
    before = Transfer.objects.count()
    with pytest.raises(errors.InsufficientBalance):
        consultation_request(client=s.client, listing=s.listing)
    top_up(client=s.client, minor=500)
    before = Transfer.objects.count()

    other_platform = scene(balance_minor=0)
    with pytest.raises(errors.WrongPlatform):
        consultation_request(client=s.client, listing=other_platform.listing)

    offline = scene(online=False, platform=s.platform, balance_minor=0)
    with pytest.raises(errors.PartnerUnavailable):
        consultation_request(client=s.client, listing=offline.listing)

    s.listing.rate_minor = 5000  # outside the platform's limits (set behind the services)
    s.listing.save(update_fields=["rate_minor"])
    with pytest.raises(errors.TariffOutOfRange):
        consultation_request(client=s.client, listing=s.listing)
    s.listing.rate_minor = 200
    s.listing.save(update_fields=["rate_minor"])

    consultation = consultation_request(client=s.client, listing=s.listing)
    with pytest.raises(errors.ConsultationAlreadyOpen):
        consultation_request(client=s.client, listing=s.listing)
    second_client = client_create(platform=s.platform)
    top_up(client=second_client, minor=500)
    with pytest.raises(errors.PartnerBusy):
        consultation_request(client=second_client, listing=s.listing)
    with pytest.raises(errors.NotParticipant):
        consultation_accept(consultation=consultation, partner=offline.partner)
    with pytest.raises(errors.NotParticipant):
        consultation_for_user(consultation_id=consultation.pk, user=second_client.user)
    with pytest.raises(errors.InvalidTransition):
        chat_message_create(consultation=consultation, role="client", body="zu früh")

    s.client.user.is_active = False
    s.client.user.save(update_fields=["is_active"])
    consultation_cancel(consultation=consultation, client=s.client)
    with pytest.raises(errors.ClientBlocked):
        consultation_request(client=s.client, listing=s.listing)
    assert Transfer.objects.count() == before + 1  # only the second client's top-up
    assert_ledger_sound()


def test_accept_when_the_balance_is_gone_cancels() -> None:
    s = scene(balance_minor=500)
    consultation = consultation_request(client=s.client, listing=s.listing)
    # Spend the balance elsewhere between request and accept.
    wallets.wallet_hold(
        client_account=s.client,
        amount=Money(499),
        reference="elsewhere",
        expires_at=datetime.now(tz=UTC) + timedelta(hours=1),
        hold_id=uuid.uuid4(),
    )
    with pytest.raises(errors.InsufficientBalance):
        consultation_accept(consultation=consultation, partner=s.partner)
    consultation.refresh_from_db()
    assert consultation.status == Consultation.Status.CANCELLED
    assert_ledger_sound()


def test_reaper_ends_at_the_last_confirmed_heartbeat() -> None:
    consultation, s = start(balance_minor=500, rate_minor=200)
    heartbeat_record(consultation_id=consultation.pk, role="client", at=at(40))
    heartbeat_record(consultation_id=consultation.pk, role="partner", at=at(55))
    assert consultations_reap(now=at(60)).ended == 0  # within the 30 s timeout
    result = consultations_reap(now=at(71))
    assert (result.ended, result.settled) == (1, 0)
    consultation.refresh_from_db()
    assert (consultation.status, consultation.duration_seconds) == ("settled", 40)
    assert consultation.amount_minor == 133
    assert consultation.end_reason == Reason.REAPER
    assert wallet_available(s.client) == 367
    assert consultations_reap(now=at(500)) == consultations_reap(now=at(501))
    assert_ledger_sound()


def test_the_end_task_books_once_and_retries_while_the_database_is_away(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`tasks.end` (a worker books what a socket announced): booked at the socket's
    moment, not the worker's; an OperationalError is retried; redelivery books once."""
    from django.db import OperationalError  # noqa: PLC0415

    from sprechzeit.consultations import services, tasks  # noqa: PLC0415

    consultation, s = start(balance_minor=500, rate_minor=200)
    real = services.consultation_end
    calls = []

    def flaky(**kwargs: Any) -> Consultation:
        calls.append(kwargs["now"])
        if len(calls) == 1:
            raise OperationalError("server closed the connection unexpectedly")
        return real(**kwargs)

    monkeypatch.setattr(tasks, "consultation_end", flaky)
    args = (str(consultation.pk), "partner", None, at(50).isoformat())
    # As on a worker: the retry is handed back, not raised (tests propagate by default).
    assert tasks.end.apply(args=args, throw=False).get() == "settled"
    assert calls == [at(50), at(50)]
    assert tasks.end.apply(args=args).get() == "settled"
    consultation.refresh_from_db()
    assert (consultation.duration_seconds, consultation.amount_minor) == (50, 167)
    assert Transfer.objects.filter(batch_id=consultation.settlement_batch_id).count() >= 1
    assert wallet_available(s.client) == 333
    assert_ledger_sound()


def test_reaper_without_heartbeats_ends_at_start_and_misses_old_requests() -> None:
    consultation, _s = start()
    waiting = scene()
    request = consultation_request(client=waiting.client, listing=waiting.listing, now=at(0))
    result = consultations_reap(now=at(100))
    assert (result.missed, result.ended) == (1, 1)
    consultation.refresh_from_db()
    request.refresh_from_db()
    assert (consultation.duration_seconds, consultation.amount_minor) == (0, 0)
    assert request.status == "missed"
    assert_ledger_sound()


def test_chat_and_rating_rules() -> None:
    consultation, s = start(balance_minor=1000, rate_minor=200)
    message = chat_message_create(consultation=consultation, role="client", body=" Hallo ")
    assert message.body == "Hallo"
    with pytest.raises(errors.InvalidMessage):
        chat_message_create(consultation=consultation, role="client", body="   ")
    with pytest.raises(errors.RatingNotAllowed):
        rating_create(consultation=consultation, client=s.client, stars=5)
    ended = consultation_end(consultation=consultation, reason=Reason.CLIENT, at_second=180)
    with pytest.raises(errors.RatingNotAllowed):
        rating_create(consultation=ended, client=s.client, stars=6)
    rating = rating_create(consultation=ended, client=s.client, stars=4, text="Gut")
    assert rating.stars == 4
    with pytest.raises(errors.RatingNotAllowed):
        rating_create(consultation=ended, client=s.client, stars=5)


def test_short_consultations_cannot_be_rated() -> None:
    consultation, s = start(balance_minor=1000)
    ended = consultation_end(consultation=consultation, reason=Reason.CLIENT, at_second=179)
    with pytest.raises(errors.RatingNotAllowed):
        rating_create(consultation=ended, client=s.client, stars=5)


def test_a_wallet_blocked_client_cannot_start() -> None:
    s = scene()
    wallets.wallet_block(client_account=s.client, reason="chargeback")
    with pytest.raises(errors.ClientBlocked):
        consultation_request(client=s.client, listing=s.listing)
    assert not Consultation.objects.filter(client=s.client).exists()


def test_rating_summary_for_the_listing_page() -> None:
    s = scene(balance_minor=5000)
    for stars in (5, 4):
        consultation = consultation_request(client=s.client, listing=s.listing)
        consultation = consultation_accept(consultation=consultation, partner=s.partner)
        ended = consultation_end(consultation=consultation, reason=Reason.CLIENT, at_second=200)
        rating_create(consultation=ended, client=s.client, stars=stars)
    summary = listing_rating_summary(listing=s.listing)
    assert (summary.count, summary.average) == (2, Decimal("4.5"))
    assert sorted(rating.stars for rating in summary.recent) == [4, 5]
