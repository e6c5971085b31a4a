"""The meter pauses while the client is on the top-up page (platform policy): the pure
arithmetic (worked examples and a property), and the services with a frozen clock —
paid time excludes counted pauses, never more than held, bad input refused."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.core.cache import cache
from hypothesis import given
from hypothesis import strategies as st

from sprechzeit.consultations import errors
from sprechzeit.consultations.heartbeats import heartbeat_record
from sprechzeit.consultations.models import Consultation, ConsultationPause
from sprechzeit.consultations.pauses import (
    Pause,
    cut_off_moment,
    metered_seconds,
    paused_time,
)
from sprechzeit.consultations.services import (
    consultation_accept,
    consultation_cut_off,
    consultation_end,
    consultation_pause,
    consultation_request,
    consultation_resume,
    consultations_reap,
    cut_off_at,
    meter_state,
)
from sprechzeit.consultations.tests.factories import Scene, scene, top_up, wallet_available
from sprechzeit.core import clock
from sprechzeit.ledger.tests.helpers import assert_ledger_sound

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
Reason = Consultation.EndReason


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def pause(start: float, end: float | None) -> Pause:
    return Pause(started_at=at(start), ended_at=None if end is None else at(end))


def gap(start: float, end: float) -> Pause:
    """A connection gap: counted in full, beside the allowance."""
    return Pause(started_at=at(start), ended_at=at(end), capped=False)


# --- arithmetic ---------------------------------------------------------------------------

CUT_OFFS = [
    # pauses, allowance, paid seconds → cut-off second (wall)
    ([], 180, 150, 150),
    ([pause(100, 130)], 180, 150, 180),
    ([pause(100, None)], 180, 150, 330),  # open: frozen for the rest of the allowance
    ([pause(100, 400)], 180, 150, 330),  # beyond the allowance the meter runs again
    ([pause(20, 80), pause(100, 250)], 180, 150, 330),  # 60 + 120 counted
    ([pause(200, 260)], 180, 150, 150),  # after the cut-off: no effect
    ([pause(100, 130)], 0, 150, 150),  # no allowance: no pause counts
    ([gap(40, 52)], 0, 150, 162),  # a connection gap counts without an allowance
    ([gap(40, 300)], 0, 150, 410),  # ... and in full
    ([gap(20, 30), pause(100, 400)], 180, 150, 340),  # beside the allowance
    ([gap(200, 260)], 0, 150, 150),  # after the cut-off: no effect
]


@pytest.mark.parametrize(("recorded", "cap", "paid", "second"), CUT_OFFS)
def test_cut_off_moment(recorded: list[Pause], cap: int, paid: int, second: int) -> None:
    moment = cut_off_moment(started_at=T0, paid_seconds=paid, pauses=recorded, cap_seconds=cap)
    assert moment == at(second)
    assert metered_seconds(started_at=T0, pauses=recorded, moment=moment, cap_seconds=cap) == (paid)


def test_metered_and_paused_time() -> None:
    recorded = [pause(20, 80), pause(100, 250)]
    assert paused_time(started_at=T0, pauses=recorded, moment=at(90), cap_seconds=180) == (
        timedelta(seconds=60)
    )
    assert metered_seconds(started_at=T0, pauses=recorded, moment=at(90), cap_seconds=180) == 30
    assert metered_seconds(started_at=T0, pauses=recorded, moment=at(250), cap_seconds=180) == 70
    assert metered_seconds(started_at=T0, pauses=recorded, moment=at(-5), cap_seconds=180) == 0
    # Fractions of a second are exact (no float drift), rounded down.
    odd = [Pause(started_at=at(10.25), ended_at=at(20.5))]
    assert metered_seconds(started_at=T0, pauses=odd, moment=at(30.25), cap_seconds=60) == 20


@given(
    paid=st.integers(min_value=1, max_value=7200),
    cap=st.integers(min_value=0, max_value=600),
    spans=st.lists(
        st.tuples(st.integers(0, 3000), st.integers(0, 900)), max_size=5, unique_by=lambda t: t[0]
    ),
    open_last=st.booleans(),
    gaps=st.lists(st.booleans(), min_size=5, max_size=5),
)
def test_the_metered_time_at_the_cut_off_is_the_paid_time(
    paid: int, cap: int, spans: list[tuple[int, int]], open_last: bool, gaps: list[bool]
) -> None:
    recorded: list[Pause] = []
    cursor = 0
    for index, (space, length) in enumerate(sorted(spans)):
        start = cursor + space
        made = gap(start, start + length) if gaps[index] else pause(start, start + length)
        recorded.append(made)
        cursor = start + length + 1
    if recorded and open_last:
        recorded[-1] = Pause(started_at=recorded[-1].started_at, ended_at=None)
    moment = cut_off_moment(started_at=T0, paid_seconds=paid, pauses=recorded, cap_seconds=cap)
    assert metered_seconds(started_at=T0, pauses=recorded, moment=moment, cap_seconds=cap) == paid
    in_gaps = sum(
        (p.ended_at - p.started_at for p in recorded if not p.capped and p.ended_at),
        timedelta(0),
    )
    assert at(paid) <= moment <= at(paid + cap) + in_gaps
    one_before = moment - timedelta(seconds=1)
    assert metered_seconds(started_at=T0, pauses=recorded, moment=one_before, cap_seconds=cap) < (
        paid
    )


# --- services -----------------------------------------------------------------------------


@pytest.fixture
def frozen() -> Iterator[clock.FrozenClock]:
    cache.clear()
    with clock.frozen_at(T0) as frozen_clock:
        yield frozen_clock


def start(**kwargs: Any) -> tuple[Consultation, Scene]:
    kwargs.setdefault("pause_on_top_up", True)
    s = scene(**kwargs)
    consultation = consultation_request(client=s.client, listing=s.listing, now=at(-5))
    consultation = consultation_accept(consultation=consultation, partner=s.partner, now=at(0))
    return consultation, s


@pytest.mark.django_db
def test_a_pause_for_a_top_up_moves_the_cut_off_and_is_not_billed(
    frozen: clock.FrozenClock, django_capture_on_commit_callbacks: Any
) -> None:
    consultation, s = start(balance_minor=500, rate_minor=200)
    assert consultation.pause_max_seconds == 180
    consultation_pause(consultation=consultation, client=s.client, now=at(100))
    state = meter_state(Consultation.objects.get(pk=consultation.pk))
    assert state["paused"] is True
    assert state["cut_off_at"] == at(330).isoformat()  # frozen for the allowance
    frozen.set(at(130))
    with django_capture_on_commit_callbacks(execute=True):
        top_up(client=s.client, minor=1000)
    consultation = consultation_resume(consultation=consultation, client=s.client, now=at(160))
    assert (consultation.paid_seconds, consultation.held_minor) == (450, 1500)
    assert cut_off_at(consultation) == at(510)  # 450 paid + 60 paused
    assert meter_state(consultation)["paused"] is False
    assert consultation_cut_off(consultation=consultation, now=at(509)).status == "live"
    ended = consultation_cut_off(consultation=consultation, now=at(510))
    assert (ended.status, ended.end_reason, ended.duration_seconds) == ("settled", "balance", 450)
    assert (ended.amount_minor, ended.ended_at) == (1500, at(510))
    assert wallet_available(s.client) == 0
    assert_ledger_sound()


@pytest.mark.django_db
def test_an_end_during_or_after_a_pause_bills_only_metered_seconds(
    frozen: clock.FrozenClock,
) -> None:
    consultation, s = start(balance_minor=500, rate_minor=200)
    consultation_pause(consultation=consultation, client=s.client, now=at(60))
    # The partner ends while the client is on the top-up page: 60 s metered.
    ended = consultation_end(consultation=consultation, reason=Reason.PARTNER, now=at(90))
    assert (ended.duration_seconds, ended.amount_minor, ended.ended_at) == (60, 200, at(90))
    assert ConsultationPause.objects.get(consultation=ended).ended_at == at(90)
    assert wallet_available(s.client) == 300
    assert_ledger_sound()


@pytest.mark.django_db
def test_a_pause_beyond_the_allowance_runs_the_meter_again(frozen: clock.FrozenClock) -> None:
    consultation, s = start(balance_minor=500, rate_minor=200, pause_max_seconds=60)
    consultation_pause(consultation=consultation, client=s.client, now=at(100))
    # Never resumed: frozen for 60 s, then the remaining 50 s run.
    assert consultation_cut_off(consultation=consultation, now=at(209)).status == "live"
    ended = consultation_cut_off(consultation=consultation, now=at(210))
    assert (ended.duration_seconds, ended.amount_minor) == (150, 500)  # never more than held
    # A second pause finds the allowance used up.
    consultation2, s2 = start(balance_minor=500, rate_minor=200, pause_max_seconds=60)
    consultation_pause(consultation=consultation2, client=s2.client, now=at(10))
    consultation_resume(consultation=consultation2, client=s2.client, now=at(70))
    with pytest.raises(errors.PauseNotAllowed):
        consultation_pause(consultation=consultation2, client=s2.client, now=at(80))
    consultation_end(consultation=consultation2, reason=Reason.CLIENT, now=at(100))
    assert Consultation.objects.get(pk=consultation2.pk).duration_seconds == 40
    assert_ledger_sound()


@pytest.mark.django_db
def test_the_reaper_ends_a_paused_consultation_at_its_last_heartbeat(
    frozen: clock.FrozenClock,
) -> None:
    consultation, s = start(balance_minor=500, rate_minor=200)
    consultation_pause(consultation=consultation, client=s.client, now=at(100))
    heartbeat_record(consultation_id=consultation.pk, role="client", at=at(120))
    heartbeat_record(consultation_id=consultation.pk, role="partner", at=at(125))
    assert consultations_reap(now=at(140)).ended == 0
    assert consultations_reap(now=at(151)).ended == 1
    ended = Consultation.objects.get(pk=consultation.pk)
    assert (ended.end_reason, ended.duration_seconds, ended.amount_minor) == ("reaper", 100, 333)
    assert_ledger_sound()


@pytest.mark.django_db
def test_bad_pauses_are_refused_and_book_nothing(frozen: clock.FrozenClock) -> None:
    consultation, s = start(balance_minor=500, rate_minor=200, pause_on_top_up=False)
    assert consultation.pause_max_seconds == 0
    with pytest.raises(errors.PauseNotAllowed) as refused:
        consultation_pause(consultation=consultation, client=s.client, now=at(10))
    assert refused.value.as_dict()["code"] == "pause_not_allowed"
    consultation_end(consultation=consultation, reason=Reason.CLIENT, now=at(20))

    consultation, s = start(balance_minor=500, rate_minor=200)
    stranger = scene(platform=s.platform).client
    with pytest.raises(errors.NotParticipant):
        consultation_pause(consultation=consultation, client=stranger, now=at(10))
    with pytest.raises(errors.NotParticipant):
        consultation_resume(consultation=consultation, client=stranger, now=at(10))
    with pytest.raises(errors.PauseNotAllowed):
        consultation_pause(consultation=consultation, client=s.client, now=at(150))  # cut-off
    # Pausing twice keeps one pause; resuming without a pause changes nothing.
    consultation_resume(consultation=consultation, client=s.client, now=at(5))
    consultation_pause(consultation=consultation, client=s.client, now=at(10))
    consultation_pause(consultation=consultation, client=s.client, now=at(20))
    assert ConsultationPause.objects.filter(consultation=consultation).count() == 1
    ended = consultation_end(consultation=consultation, reason=Reason.CLIENT, now=at(40))
    assert ended.duration_seconds == 10
    with pytest.raises(errors.InvalidTransition):
        consultation_pause(consultation=ended, client=s.client, now=at(50))
    assert_ledger_sound()


@pytest.mark.django_db
def test_phone_consultations_never_pause(frozen: clock.FrozenClock) -> None:
    s = scene(balance_minor=500, rate_minor=200, pause_on_top_up=True)
    consultation = consultation_request(
        client=s.client, listing=s.listing, channel=Consultation.Channel.PHONE, now=at(-5)
    )
    assert consultation.pause_max_seconds == 0
