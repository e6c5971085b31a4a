"""Every credit that raises a client's available balance extends the client's live
consultation at once (`wallets.signals.balance_credited` → consultations), also in the
last seconds before the cut-off; a failing extension never breaks the top-up."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.core.cache import cache

from sprechzeit.accounts.models import ClientAccount
from sprechzeit.consultations.models import Consultation
from sprechzeit.consultations.realtime import hops
from sprechzeit.consultations.services import (
    consultation_accept,
    consultation_cut_off,
    consultation_end,
    consultation_request,
    metering,
)
from sprechzeit.consultations.tests.factories import Scene, scene, top_up, wallet_available
from sprechzeit.core import clock, metrics
from sprechzeit.core.money import Money
from sprechzeit.ledger.models import AccountPurpose
from sprechzeit.ledger.tests.helpers import assert_ledger_sound
from sprechzeit.payments.models import (
    Channel,
    ChannelPolicy,
    Payment,
    ProviderConfig,
    ProviderKind,
)
from sprechzeit.payments.providers.base import PaymentUpdate, UpdateKind
from sprechzeit.payments.services import payments
from sprechzeit.payments.services.payments import payment_apply
from sprechzeit.payments.services.sandbox import sandbox_deliver
from sprechzeit.wallets import services as wallets
from sprechzeit.wallets.models import WalletSettings

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
Reason = Consultation.EndReason


def signals(callbacks: list[Any]) -> list[Any]:
    """The on-commit callbacks but the metrics' (the ledger counts its transfers)."""
    return [c for c in callbacks if getattr(c, "func", None) is not metrics.count_ledger_transfers]


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


@pytest.fixture(autouse=True)
def frozen() -> Iterator[clock.FrozenClock]:
    """The whole test runs on a controlled clock (holds expire relative to it)."""
    cache.clear()
    with clock.frozen_at(T0) as frozen_clock:
        yield frozen_clock


def start(**kwargs: Any) -> tuple[Consultation, Scene]:
    s = scene(**kwargs)
    consultation = consultation_request(client=s.client, listing=s.listing, now=at(-5))
    consultation = consultation_accept(consultation=consultation, partner=s.partner, now=at(0))
    return consultation, s


# --- the ways a balance is credited -------------------------------------------------------


def sandbox_top_up(client: ClientAccount, minor: int) -> None:
    """Checkout and a signed `payment.succeeded` through the sandbox provider's inbox."""
    platform = client.platform
    config = ProviderConfig.objects.create(
        platform=platform, kind=ProviderKind.SANDBOX, name="Testkasse"
    )
    policy = ChannelPolicy.objects.create(
        platform=platform, provider_config=config, channel="sandbox", presets=[minor]
    )
    payment = payments.payment_start(
        client_account=client,
        policy=policy,
        amount=Money(minor, platform.currency),
        return_url="/guthaben/{id}/",
        cancel_url="/guthaben/",
        webhook_url="/hooks/sandbox/",
    )
    sandbox_deliver(payment=payment, event_type="payment.succeeded")


def bank_transfer(client: ClientAccount, minor: int) -> None:
    """A matched bank transfer: what `bank._credit_entry` applies for a matched line."""
    platform = client.platform
    config = ProviderConfig.objects.create(
        platform=platform, kind=ProviderKind.BANK_TRANSFER, name="Bank"
    )
    now = clock.now()
    payment = Payment.objects.create(
        platform=platform,
        client_account=client,
        provider_config=config,
        channel=Channel.BANK_TRANSFER,
        amount_minor=minor,
        currency=platform.currency,
        external_id=f"bank:{uuid.uuid4()}",
        created_at=now,
        updated_at=now,
    )
    payment_apply(
        payment_id=payment.pk,
        update=PaymentUpdate(kind=UpdateKind.SUCCEEDED, amount=Money(minor, platform.currency)),
    )


def bonus_credit(client: ClientAccount, minor: int) -> None:
    """The platform's welcome credit as bonus (granted at the first top-up trigger)."""
    WalletSettings.objects.update_or_create(
        platform=client.platform,
        defaults={
            "welcome_credit_minor": minor,
            "welcome_credit_on": WalletSettings.WelcomeOn.FIRST_TOPUP,
        },
    )
    assert wallets.welcome_credit_grant(
        client_account=client, trigger=WalletSettings.WelcomeOn.FIRST_TOPUP
    )


def wallet_top_up(client: ClientAccount, minor: int) -> None:
    top_up(client=client, minor=minor)


CREDITS: dict[str, Callable[[ClientAccount, int], None]] = {
    "sandbox": sandbox_top_up,
    "bank_transfer": bank_transfer,
    "bonus": bonus_credit,
    "wallet_credit": wallet_top_up,
}


@pytest.mark.parametrize("credit", sorted(CREDITS))
def test_a_credit_three_seconds_before_the_cut_off_extends_at_once(
    credit: str, django_capture_on_commit_callbacks: Any, frozen: clock.FrozenClock
) -> None:
    consultation, s = start(balance_minor=500, rate_minor=200)
    assert consultation.paid_seconds == 150
    frozen.set(at(147))
    with django_capture_on_commit_callbacks(execute=True):
        CREDITS[credit](s.client, 1000)
    consultation.refresh_from_db()
    assert (consultation.held_minor, consultation.paid_seconds) == (1500, 450)
    assert consultation.holds.count() == 2
    assert wallet_available(s.client) == 0
    # Second 150 passes without a cut-off; the new one bills the longer time.
    assert consultation_cut_off(consultation=consultation, now=at(150)).status == "live"
    ended = consultation_cut_off(consultation=consultation, now=at(450))
    assert (ended.status, ended.end_reason) == ("settled", Reason.BALANCE)
    assert (ended.duration_seconds, ended.amount_minor) == (450, 1500)
    assert_ledger_sound()


def test_the_extension_is_pushed_to_the_room(
    django_capture_on_commit_callbacks: Any,
    monkeypatch: pytest.MonkeyPatch,
    frozen: clock.FrozenClock,
) -> None:
    sent: list[tuple[str, dict[str, Any]]] = []
    monkeypatch.setattr(
        "sprechzeit.consultations.events.send_now", lambda group, event: sent.append((group, event))
    )
    consultation, s = start(balance_minor=500, rate_minor=200)
    frozen.set(at(147))
    with django_capture_on_commit_callbacks(execute=True):
        top_up(client=s.client, minor=300)
    extended = [event for _group, event in sent if event["type"] == "consultation.extended"]
    assert len(extended) == 1
    assert extended[0]["state"]["paid_seconds"] == 240
    consultation_end(consultation=consultation, reason=Reason.CLIENT, at_second=200)
    assert_ledger_sound()


def test_nothing_happens_before_the_commit_or_on_a_rollback(
    django_capture_on_commit_callbacks: Any,
) -> None:
    consultation, s = start(balance_minor=500, rate_minor=200)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        top_up(client=s.client, minor=1000)
        consultation.refresh_from_db()
        assert consultation.paid_seconds == 150  # not before the commit
    assert len(signals(callbacks)) == 1
    consultation_end(consultation=consultation, reason=Reason.CLIENT, at_second=100)
    assert_ledger_sound()


def test_a_replayed_credit_sends_nothing(django_capture_on_commit_callbacks: Any) -> None:
    consultation, s = start(balance_minor=500, rate_minor=200)
    credit_id = uuid.uuid4()
    source = wallets.platform_account(platform=s.platform, purpose=AccountPurpose.PROVIDER_CLEARING)

    def credit() -> wallets.WalletCredit:
        return wallets.wallet_credit(
            client_account=s.client,
            amount=Money(100, "EUR"),
            source=source,
            id=credit_id,
            reference="test",
        )

    with django_capture_on_commit_callbacks(execute=False) as first:
        assert not credit().replayed
    with django_capture_on_commit_callbacks(execute=False) as again:
        assert credit().replayed
    assert (len(signals(first)), len(again)) == (1, 0)
    consultation_end(consultation=consultation, reason=Reason.CLIENT, at_second=10)
    assert_ledger_sound()


def test_a_failing_extension_never_breaks_the_top_up(
    django_capture_on_commit_callbacks: Any,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    frozen: clock.FrozenClock,
) -> None:
    consultation, s = start(balance_minor=500, rate_minor=200)

    def broken(**_kwargs: Any) -> Consultation:
        raise RuntimeError("database gone")

    monkeypatch.setattr(metering, "consultation_extend", broken)
    frozen.set(at(147))
    with (
        caplog.at_level(logging.ERROR),
        django_capture_on_commit_callbacks(execute=True),
    ):
        sandbox_top_up(s.client, 1000)
    assert "extending the consultations of client account" in caplog.text
    assert wallet_available(s.client) == 1000  # credited, not held: the socket's fallback
    consultation.refresh_from_db()
    assert consultation.paid_seconds == 150
    monkeypatch.undo()
    # The socket's own look for a top-up at the cut-off still finds it.
    extended = consultation_cut_off(consultation=consultation, now=at(150))
    assert (extended.status, extended.paid_seconds) == ("live", 450)
    consultation_end(consultation=extended, reason=Reason.CLIENT, at_second=300)
    assert_ledger_sound()


def test_a_credit_without_a_live_consultation_or_after_the_end_changes_nothing(
    django_capture_on_commit_callbacks: Any,
) -> None:
    consultation, s = start(balance_minor=500, rate_minor=200)
    ended = consultation_end(consultation=consultation, reason=Reason.CLIENT, at_second=60)
    with django_capture_on_commit_callbacks(execute=True):
        top_up(client=s.client, minor=1000)
    ended.refresh_from_db()
    assert (ended.status, ended.held_minor, ended.holds.count()) == ("settled", 500, 1)
    assert wallet_available(s.client) == 1300
    assert_ledger_sound()


def test_an_extension_stops_at_the_maximum_length(
    django_capture_on_commit_callbacks: Any, frozen: clock.FrozenClock
) -> None:
    consultation, s = start(balance_minor=500, rate_minor=200, max_duration_seconds=300)
    frozen.set(at(147))
    with django_capture_on_commit_callbacks(execute=True):
        top_up(client=s.client, minor=5000)
    consultation.refresh_from_db()
    assert (consultation.held_minor, consultation.paid_seconds) == (1000, 300)
    ended = consultation_cut_off(consultation=consultation, now=at(300))
    assert (ended.end_reason, ended.amount_minor) == (Reason.MAX_DURATION, 1000)
    assert wallet_available(s.client) == 4500
    assert_ledger_sound()


def test_the_look_before_the_cut_off_takes_no_lock_when_nothing_is_available(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The client's socket looks for a top-up 5 s before every cut-off
    (`realtime.hops.extend_state`): with nothing available it answers None after one
    read, without the locked transaction; with money available it extends as before."""
    consultation, s = start(balance_minor=500, rate_minor=200)
    assert wallet_available(s.client) == 0  # all of it held for the 150 s
    locked: list[uuid.UUID] = []
    extend = metering.consultation_extend

    def counted(*, consultation: Consultation, now: datetime | None = None) -> Consultation:
        locked.append(consultation.pk)
        return extend(consultation=consultation, now=now)

    monkeypatch.setattr(hops, "consultation_extend", counted)
    assert hops.extend_state(consultation, at(145)) is None
    assert locked == []
    # A top-up whose credit signal did not reach the room (the fallback's case).
    monkeypatch.setattr(metering, "consultations_extend_after_credit", lambda **_: [])
    top_up(client=s.client, minor=100)
    state = hops.extend_state(consultation, at(145))
    assert state is not None
    assert (state["paid_seconds"], locked) == (180, [consultation.pk])
    assert wallet_available(s.client) == 0
    assert_ledger_sound()
