"""The pure meter (`consultations.meter`): worked examples of what a socket's timer does
and when it wakes, and properties over random consultations (no sockets, no database,
no event loop: a consultation of any length is stepped through in microseconds)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sprechzeit.consultations.meter import (
    LIVE,
    Action,
    Meter,
    RoomPolicy,
    Schedule,
    Step,
)
from sprechzeit.consultations.protocol import MeterState
from sprechzeit.consultations.tariff import Tariff

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
POLICY = RoomPolicy(warnings=(120, 60), heartbeat_timeout=30, request_timeout=60, meter_interval=10)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def state(*, paid: int, cut: float | None = None, paused: bool = False) -> MeterState:
    """A server snapshot of a consultation started at T0 (`selectors.meter_state`)."""
    return {
        "consultation": "00000000-0000-0000-0000-000000000001",
        "status": LIVE,
        "started_at": T0.isoformat(),
        "paid_seconds": paid,
        "max_duration_seconds": 7200,
        "held_minor": 0,
        "rate_minor": 200,
        "increment": "1/1",
        "grace_seconds": 0,
        "connect_fee_minor": 0,
        "currency": "EUR",
        "pause_max_seconds": 300,
        "paused": paused,
        "cut_off_at": at(paid if cut is None else cut).isoformat(),
    }


def live_meter(paid: int, *, max_duration: int = 7200) -> Meter:
    meter = Meter(
        status="requested",
        started_at=None,
        paid_seconds=0,
        max_duration_seconds=max_duration,
        requested_at=at(-5),
    )
    meter.start(state(paid=paid))
    return meter


def fresh(meter: Meter, now: datetime) -> None:
    """Both sides just sent a frame."""
    meter.beats_merge({"client": now, "partner": now})


@dataclass
class Run:
    """What a socket's timer did, second by second (offsets from the start)."""

    warnings: list[tuple[float, int, int]] = field(default_factory=list)  # when, w, at_second
    snapshots: list[tuple[float, int]] = field(default_factory=list)  # when, elapsed
    prefetches: list[float] = field(default_factory=list)
    cut_off: Step | None = None
    cut_off_when: float | None = None
    steps: int = 0


def drive(
    meter: Meter,
    schedule: Schedule,
    *,
    until: float,
    late: list[float] | None = None,
    events: list[tuple[float, MeterState]] | None = None,
) -> Run:
    """Carry out the schedule as the socket does, both sides present, each wake `late`
    seconds after the moment asked for (in turn); `events` are extensions arriving at
    their offsets (they wake the timer, as the socket's `_changed` does)."""
    run = Run()
    now = T0
    lateness = late or [0.0]
    pending = sorted(events or [], key=lambda event: event[0])
    while (now - T0).total_seconds() <= until:
        fresh(meter, now)
        step = schedule.step(meter, now)
        run.steps += 1
        offset = (now - T0).total_seconds()
        if step.action is Action.CUT_OFF:
            run.cut_off, run.cut_off_when = step, offset
            return run
        assert step.action is Action.WAIT
        assert step.wake_at is not None
        assert step.wake_at >= now
        run.warnings += [(offset, w["remaining_seconds"], w["at_second"]) for w in step.warnings]
        if step.snapshot is not None:
            run.snapshots.append((offset, step.snapshot))
        if step.prefetch:
            run.prefetches.append(offset)
        wake = step.wake_at + timedelta(seconds=lateness[run.steps % len(lateness)])
        if pending and at(pending[0][0]) <= wake:
            moment, snapshot = pending.pop(0)
            meter.extend(snapshot)
            wake = max(now, at(moment))
        now = wake
    return run


# --- worked examples --------------------------------------------------------------------


def test_client_150_seconds_step_by_step() -> None:
    """5.00 € at 2.00 €/min: snapshots every 10 s, warnings at 30 s and 90 s, the look
    for a top-up at 145 s, the cut-off on second 150, and nothing in between."""
    meter, schedule = live_meter(150), Schedule(role="client", policy=POLICY)
    table = [
        # now, warnings (w, at_second), snapshot, prefetch, wake
        (0, [], 0, False, 10),
        (10, [], 10, False, 20),
        (20, [], 20, False, 30),
        (30, [(120, 30)], 30, False, 40),
        (40, [], 40, False, 50),
        (90, [(60, 90)], 90, False, 100),
        (140, [], 140, False, 145),
        (145, [], None, True, 150),
    ]
    for now, warnings, snapshot, prefetch, wake in table:
        fresh(meter, at(now))
        step = schedule.step(meter, at(now))
        assert step.action is Action.WAIT, now
        assert [(w["remaining_seconds"], w["at_second"]) for w in step.warnings] == warnings
        assert (step.snapshot, step.prefetch, step.wake_at) == (snapshot, prefetch, at(wake))
    step = schedule.step(meter, at(150))
    assert (step.action, step.paid_seconds, step.at_second, step.late_by) == (
        Action.CUT_OFF,
        150,
        150.0,
        None,
    )


def test_snapshot_frame_is_the_rating_function() -> None:
    meter = live_meter(150)
    frame = meter.frame(45, Tariff(rate_minor=200))
    assert frame == {
        "type": "meter",
        "elapsed_seconds": 45,
        "cost_minor": 150,
        "remaining_seconds": 105,
        "paid_seconds": 150,
        "paused": False,
        "currency": "EUR",
    }
    # Never beyond the paid seconds.
    assert meter.frame(170, Tariff(rate_minor=200))["cost_minor"] == 500


def test_partner_waits_for_the_clients_announcement_then_books() -> None:
    meter, schedule = live_meter(150), Schedule(role="partner", policy=POLICY)
    fresh(meter, at(140))
    step = schedule.step(meter, at(140))
    assert (step.prefetch, step.wake_at) == (False, at(150))  # the partner never looks
    fresh(meter, at(150))
    assert schedule.step(meter, at(150)) == Step(Action.WAIT, wake_at=at(152))
    cut = schedule.step(meter, at(152))
    assert (cut.action, cut.at_second, cut.late_by) == (Action.CUT_OFF, 150.0, None)
    # 3 s after the end (1 s late beyond the grace) is logged as late.
    assert schedule.step(meter, at(153.5)).late_by == 3.5


@pytest.mark.parametrize(("woke_at", "late_by"), [(150.0, None), (151.0, None), (151.5, 1.5)])
def test_client_cut_off_lateness(woke_at: float, late_by: float | None) -> None:
    meter, schedule = live_meter(150), Schedule(role="client", policy=POLICY)
    fresh(meter, at(woke_at))
    step = schedule.step(meter, at(woke_at))
    assert (step.action, step.at_second, step.late_by) == (Action.CUT_OFF, 150.0, late_by)


def test_no_prefetch_at_the_maximum_length() -> None:
    meter, schedule = live_meter(150, max_duration=150), Schedule(role="client", policy=POLICY)
    fresh(meter, at(145))
    assert schedule.step(meter, at(145)).prefetch is False
    fresh(meter, at(146))
    assert schedule.step(meter, at(146)).wake_at == at(150)  # looked (nothing to gain)


def test_extension_rearms_only_the_warnings_still_ahead() -> None:
    meter, schedule = live_meter(150), Schedule(role="client", policy=POLICY)
    run = drive(meter, schedule, until=500, events=[(100, state(paid=450))])
    assert [(w, second) for _when, w, second in run.warnings] == [
        (120, 30),
        (60, 90),
        (120, 330),
        (60, 390),
    ]
    assert run.prefetches == [445]
    assert run.cut_off is not None
    assert (run.cut_off_when, run.cut_off.at_second) == (450, 450.0)
    # An extension 40 s before the new cut-off: both warnings' moments passed, none
    # comes late.
    meter, schedule = live_meter(150), Schedule(role="client", policy=POLICY)
    run = drive(meter, schedule, until=500, events=[(140, state(paid=180))])
    assert [second for _when, _w, second in run.warnings] == [30, 90]
    assert run.cut_off_when == 180


def test_an_older_snapshot_does_not_shrink_the_paid_time() -> None:
    meter = live_meter(450)
    meter.extend(state(paid=150))
    assert (meter.paid_seconds, meter.cut_off_at) == (450, at(450))


def test_pause_freezes_the_metered_seconds_and_moves_the_cut_off() -> None:
    meter, schedule = live_meter(150), Schedule(role="client", policy=POLICY)
    fresh(meter, at(100))
    assert schedule.step(meter, at(100)).snapshot == 100
    # Paused at 100 s with 300 s allowance: the cut-off lies at 450 while it is open.
    meter.pause(state(paid=150, cut=450, paused=True), at(100))
    assert meter.metered(at(180)) == 100
    fresh(meter, at(180))
    step = schedule.step(meter, at(180))
    assert (step.snapshot, step.warnings) == (None, ())
    # Resumed at 200 s: the meter runs from 100 again; the cut-off is 250.
    meter.apply(state(paid=150, cut=250))
    assert meter.metered(at(230)) == 130
    fresh(meter, at(230))
    assert schedule.step(meter, at(230)).snapshot == 130


def test_a_silent_side_is_checked_in_the_store_then_ended_at_its_last_second() -> None:
    meter, schedule = live_meter(600), Schedule(role="partner", policy=POLICY)
    meter.beats_merge({"client": at(35), "partner": at(60)})
    assert schedule.step(meter, at(60)).wake_at == at(65)  # the client's deadline
    assert schedule.step(meter, at(65)).action is Action.CHECK_PRESENCE
    # The store knows a later frame of the client (another process): not lost.
    meter.beats_merge({"client": at(62)})
    assert schedule.presence_lost(meter, at(65)) is None
    meter.beats_merge({"partner": at(95)})
    assert schedule.step(meter, at(95)).action is Action.CHECK_PRESENCE
    assert schedule.presence_lost(meter, at(95)) == 62
    # An older stored heartbeat never moves a known one back.
    meter.beats_merge({"client": at(10)})
    assert meter.last_beat() == at(62)


def test_both_sides_count_as_present_from_the_start() -> None:
    meter = Meter(
        status="requested",
        started_at=None,
        paid_seconds=0,
        max_duration_seconds=7200,
        requested_at=at(-5),
    )
    meter.beats["client"] = at(-4)  # the client's socket connected before the accept
    meter.start(state(paid=150))
    assert meter.beats == {"client": T0, "partner": T0}
    assert meter.request_due(POLICY) == at(55)


# --- properties ---------------------------------------------------------------------------

policies = st.builds(
    RoomPolicy,
    warnings=st.sets(st.integers(1, 600), max_size=4).map(
        lambda ws: tuple(sorted(ws, reverse=True))
    ),
    heartbeat_timeout=st.integers(10, 120),
    request_timeout=st.just(60),
    meter_interval=st.integers(1, 60),
)
roles = st.sampled_from(["client", "partner"])
lateness = st.lists(st.floats(0, 3, allow_nan=False), min_size=1, max_size=8)


@settings(max_examples=200, derandomize=True, deadline=None)
@given(paid=st.integers(1, 1200), policy=policies, role=roles, late=lateness)
def test_never_cuts_off_before_the_paid_second_and_never_warns_twice(
    paid: int, policy: RoomPolicy, role: str, late: list[float]
) -> None:
    """However late the timer wakes: the cut-off comes, never before the paid second
    (the partner's never before its grace), it books exactly the paid seconds; every
    warning goes out at most once and never before its moment; the timer wakes O(paid /
    interval + paid / heartbeat timeout + warnings) times, never per second."""
    meter, schedule = live_meter(paid), Schedule(role=role, policy=policy)
    run = drive(meter, schedule, until=paid + 20, late=late)
    assert run.cut_off is not None
    assert run.cut_off_when is not None
    assert run.cut_off_when >= paid + (2 if role == "partner" else 0)
    assert (run.cut_off.paid_seconds, run.cut_off.at_second) == (paid, float(paid))
    sent = [w for _when, w, _second in run.warnings]
    assert len(sent) == len(set(sent))
    assert all(when >= paid - w and second == paid - w for when, w, second in run.warnings)
    # Snapshots, heartbeat deadlines, warnings, the look for a top-up, the grace, the end.
    wakes = paid // policy.meter_interval + paid // policy.heartbeat_timeout
    assert run.steps <= wakes + len(policy.warnings) + 5


@settings(max_examples=200, derandomize=True, deadline=None)
@given(paid=st.integers(1, 1200), policy=policies, role=roles)
def test_on_time_every_warning_and_snapshot_comes_on_its_second(
    paid: int, policy: RoomPolicy, role: str
) -> None:
    """Woken on time: each warning `w <= paid` exactly once at `paid - w`, a snapshot at
    every multiple of the interval before the end, the cut-off on the paid second."""
    meter, schedule = live_meter(paid), Schedule(role=role, policy=policy)
    run = drive(meter, schedule, until=paid + 10)
    assert sorted(run.warnings) == sorted(
        (paid - w, w, paid - w) for w in policy.warnings if w <= paid
    )
    assert run.snapshots == [(s, s) for s in range(0, paid, policy.meter_interval)]
    assert run.cut_off_when == paid + (2 if role == "partner" else 0)
    assert run.prefetches == ([max(0, paid - 5)] if role == "client" else [])


@settings(max_examples=200, derandomize=True, deadline=None)
@given(
    paid=st.integers(10, 1000),
    more=st.lists(st.integers(1, 600), min_size=1, max_size=3),
    when=st.lists(st.floats(0, 1, allow_nan=False), min_size=3, max_size=3),
    policy=policies,
)
def test_extensions_never_cut_off_early_nor_repeat_a_warning(
    paid: int, more: list[int], when: list[float], policy: RoomPolicy
) -> None:
    """Top-ups arriving at random moments before the cut-off: the cut-off is the last
    paid second, no warning goes out twice for one cut-off, and none goes out late (a
    warning whose moment passed before the top-up is not sent)."""
    events: list[tuple[float, MeterState]] = []
    total = paid
    for extra, share in zip(more, sorted(when), strict=False):
        total += extra
        events.append((round(share * (paid - 1), 3), state(paid=total)))
    meter, schedule = live_meter(paid), Schedule(role="client", policy=policy)
    run = drive(meter, schedule, until=total + 10, events=events)
    assert run.cut_off is not None
    assert run.cut_off_when == total
    assert run.cut_off.at_second == float(total)
    pairs = [(second + w, w) for _when, w, second in run.warnings]  # (cut-off, warning)
    assert len(pairs) == len(set(pairs))
    assert all(when == second for when, _w, second in run.warnings)
