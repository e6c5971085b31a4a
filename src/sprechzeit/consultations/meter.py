"""One socket's meter, as pure arithmetic: no sockets, no database, no asyncio, no clock.

The room socket (`realtime/consultation.py`) keeps a `Meter` (its view of the paid time,
fed by the server's snapshots and the peer's heartbeats) and a `Schedule` (what it has
already done for the current cut-off). Each time it wakes it asks
`schedule.step(meter, now)` what to do now and when to wake next:

- `CHECK_PRESENCE`: a side's last known frame is older than the heartbeat timeout; read
  the stored heartbeats (the peer may be on another process), merge them
  (`Meter.beats_merge`) and ask `presence_lost`: the confirmed second to end at, or None
  (then step again);
- `CUT_OFF`: the paid time is over: announce and book the end at `at_second` (the
  client's socket on the exact second; the partner's only
  `PARTNER_CUTOFF_GRACE_SECONDS` later, if the client's has not announced it);
- `WAIT`: send `warnings` and the `snapshot` (metered seconds) if any, look for a
  top-up if `prefetch`, then sleep until `wake_at` or until the state changes.

All moments are wall moments derived from the cut-off (`cut_off_at`, which lies later
than start + paid seconds by the counted pauses, `consultations.pauses`). The schedule
never sleeps past the cut-off, a warning, the next snapshot or a heartbeat deadline, and
it never wakes per second.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Final

from sprechzeit.consultations.protocol import ROLES, MeterFrame, MeterState, WarningFrame
from sprechzeit.consultations.tariff import Tariff, tariff_rate

# The client's socket looks for a top-up (beside its timer) this long before the
# cut-off, so the cut-off itself needs no database read and happens on the exact second.
PREFETCH_SECONDS: Final = 5
# The client's socket books the cut-off; the partner's socket books it only if the
# client's has not announced it this long after the paid end (client gone, process
# dead). The booked second is the paid one either way.
PARTNER_CUTOFF_GRACE_SECONDS: Final = 2
# A cut-off later than this is logged as a warning (the node is overloaded).
LATE_CUTOFF_SECONDS: Final = 1.0
LIVE: Final = "live"


@dataclass(frozen=True, slots=True)
class RoomPolicy:
    """The platform's timing rules, as a socket needs them."""

    warnings: tuple[int, ...]  # seconds before the cut-off, descending
    heartbeat_timeout: int
    request_timeout: int
    meter_interval: int


@dataclass(slots=True)
class Meter:
    """One socket's view of the meter. The paid seconds are metered seconds; the
    cut-off is the wall moment they run out (later than start + paid by the pauses the
    platform's policy counts, `consultations.pauses`)."""

    status: str
    started_at: datetime | None
    paid_seconds: int
    max_duration_seconds: int
    requested_at: datetime
    cut_off_at: datetime | None = None
    paused: bool = False
    # Metered seconds when the open pause began (the meter stands still from there).
    paused_metered: float = 0.0
    # The last known frame of each side (this socket's own, and the store's).
    beats: dict[str, datetime] = field(default_factory=dict)

    def apply(self, state: MeterState) -> None:
        """Take a server snapshot (`selectors.meter_state`)."""
        started_at, cut_off_at = state["started_at"], state["cut_off_at"]
        if started_at:
            self.started_at = datetime.fromisoformat(started_at)
        self.paid_seconds = int(state["paid_seconds"])
        if cut_off_at:
            self.cut_off_at = datetime.fromisoformat(cut_off_at)
        elif self.started_at is not None:
            self.cut_off_at = self.started_at + timedelta(seconds=self.paid_seconds)
        self.paused = bool(state["paused"])

    def start(self, state: MeterState) -> None:
        """The partner accepted: live from `state`; both sides count as present from
        the start."""
        self.status = LIVE
        self.apply(state)
        assert self.started_at is not None
        for role in ROLES:
            self.beats[role] = max(self.beats.get(role, self.started_at), self.started_at)

    def extend(self, state: MeterState) -> None:
        """A top-up moved the cut-off. A snapshot older than what this socket knows
        (fewer paid seconds) is ignored."""
        if int(state["paid_seconds"]) >= self.paid_seconds:
            self.apply(state)

    def pause(self, state: MeterState, now: datetime) -> None:
        """The meter stands still from `now` (already paused: only the snapshot)."""
        if not self.paused:
            self.paused_metered = self.metered(now)
        self.apply(state)

    def metered(self, now: datetime) -> float:
        """Metered seconds at `now` (frozen while a counted pause is open)."""
        if self.cut_off_at is None:
            return 0.0
        running = self.paid_seconds - (self.cut_off_at - now).total_seconds()
        if self.paused:
            running = max(self.paused_metered, running)
        return max(0.0, running)

    def last_beat(self) -> datetime:
        """The earlier side's last known frame (the start for a side never heard)."""
        assert self.started_at is not None
        started = self.started_at
        return min(self.beats.get(role, started) for role in ROLES)

    def beats_merge(self, stored: Mapping[str, datetime]) -> None:
        """Take the stored heartbeats of both sides where they are newer."""
        for role, at in stored.items():
            previous = self.beats.get(role)
            if previous is None or at > previous:
                self.beats[role] = at

    def request_due(self, policy: RoomPolicy) -> datetime:
        """When an unanswered request is missed."""
        return self.requested_at + timedelta(seconds=policy.request_timeout)

    def frame(self, elapsed: int, tariff: Tariff) -> MeterFrame:
        """The `meter` frame at `elapsed` metered seconds (the cost is the rating
        function's, never beyond the paid seconds)."""
        paid = self.paid_seconds
        return {
            "type": "meter",
            "elapsed_seconds": elapsed,
            "cost_minor": tariff_rate(seconds=min(elapsed, paid), tariff=tariff).minor,
            "remaining_seconds": max(0, paid - elapsed),
            "paid_seconds": paid,
            "paused": self.paused,
            "currency": tariff.currency,
        }


class Action(enum.Enum):
    WAIT = "wait"
    CHECK_PRESENCE = "check_presence"
    CUT_OFF = "cut_off"


@dataclass(frozen=True, slots=True)
class Step:
    """What a socket's timer does now (`Schedule.step`)."""

    action: Action
    # WAIT: sleep until then, or until the state changes.
    wake_at: datetime | None = None
    # WAIT: frames to send now, in order: the warnings, then the snapshot.
    warnings: tuple[WarningFrame, ...] = ()
    snapshot: int | None = None  # metered seconds of the `meter` frame to send
    # WAIT: look for a top-up beside the timer (the client's socket, once per cut-off).
    prefetch: bool = False
    # CUT_OFF: the paid seconds, and the wall second since the start to book the end at.
    paid_seconds: int = 0
    at_second: float = 0.0
    # CUT_OFF: seconds past the cut-off when later than `LATE_CUTOFF_SECONDS` (plus the
    # partner's grace), else None.
    late_by: float | None = None
    # CUT_OFF: seconds past the cut-off, whatever they are (the lateness metric).
    past_cut_seconds: float = 0.0


@dataclass(slots=True)
class Schedule:
    """The bookkeeping of one socket's timer for the current cut-off: which warnings
    went out, whether the client's socket looked for a top-up, when the next snapshot
    is due. A new cut-off (an extension, a pause) re-arms the warnings whose moment is
    still ahead; those already passed are not sent late."""

    role: str
    policy: RoomPolicy
    sent_warnings: set[int] = field(default_factory=set)
    seen_cut: datetime | None = None
    prefetched_for: datetime | None = None
    next_tick: int = 0  # metered second of the next snapshot
    timeout: timedelta = field(init=False)

    def __post_init__(self) -> None:
        self.timeout = timedelta(seconds=self.policy.heartbeat_timeout)

    def step(self, meter: Meter, now: datetime) -> Step:
        """What to do at `now` and when to wake next; records what it asks for (the
        caller carries it out)."""
        cut, started = meter.cut_off_at, meter.started_at
        assert cut is not None
        assert started is not None
        paid = meter.paid_seconds
        left = (cut - now).total_seconds()
        if cut != self.seen_cut:
            self.sent_warnings = {w for w in self.policy.warnings if left < w}
            self.seen_cut = cut
        last_beat = meter.last_beat()
        if now - last_beat >= self.timeout:
            return Step(Action.CHECK_PRESENCE)
        if left <= 0:
            return self._cut_off(now, cut, started, paid, left)
        prefetch = False
        if self.role == "client" and self.prefetched_for != cut and left <= PREFETCH_SECONDS:
            self.prefetched_for = cut
            prefetch = paid < meter.max_duration_seconds
        due = [w for w in self.policy.warnings if w not in self.sent_warnings and left <= w]
        self.sent_warnings.update(due)
        elapsed = math.floor(meter.metered(now))
        snapshot = None
        if elapsed >= self.next_tick:
            snapshot = elapsed
            while self.next_tick <= elapsed:
                self.next_tick += self.policy.meter_interval
        # Seconds before the cut-off at which to wake; the next snapshot is due when
        # the metered seconds reach `next_tick` (not during a counted pause).
        before_cut = [0.0, float(paid - self.next_tick)]
        if self.role == "client" and self.prefetched_for != cut:
            before_cut.append(float(PREFETCH_SECONDS))
        before_cut += [float(w) for w in self.policy.warnings if w not in self.sent_warnings]
        wake = min(cut - timedelta(seconds=max(before_cut)), last_beat + self.timeout)
        return Step(
            Action.WAIT,
            wake_at=max(wake, now),
            warnings=tuple(
                {"type": "warning", "remaining_seconds": w, "at_second": paid - w} for w in due
            ),
            snapshot=snapshot,
            prefetch=prefetch,
        )

    def _cut_off(
        self, now: datetime, cut: datetime, started: datetime, paid: int, left: float
    ) -> Step:
        grace = 0
        if self.role == "partner":
            grace = PARTNER_CUTOFF_GRACE_SECONDS
            grace_end = cut + timedelta(seconds=grace)
            if now < grace_end:
                # The client's socket books it; wait for its announcement.
                return Step(Action.WAIT, wake_at=grace_end)
        return Step(
            Action.CUT_OFF,
            paid_seconds=paid,
            at_second=(cut - started).total_seconds(),
            late_by=-left if -left > LATE_CUTOFF_SECONDS + grace else None,
            past_cut_seconds=-left,
        )

    def presence_lost(self, meter: Meter, now: datetime) -> int | None:
        """After `CHECK_PRESENCE` and merging the stored heartbeats: the last confirmed
        second to end at (reason `timeout`) when a side is still silent, else None."""
        assert meter.started_at is not None
        last_beat = meter.last_beat()
        if now - last_beat < self.timeout:
            return None
        return max(0, math.floor((last_beat - meter.started_at).total_seconds()))
