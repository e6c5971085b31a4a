"""The meter's pauses while the client is on the top-up page (platform policy), as pure
time arithmetic: no database, no clock.

A consultation's seconds are wall seconds since the start; its *metered* seconds are
the wall seconds minus the paused ones. Paused seconds count up to the consultation's
`pause_max_seconds` in total (frozen from the platform's policy; 0: no pausing), in the
order they happen; beyond that, pause is ordinary metered time. The paid seconds (what
the holds pay for) are metered seconds, so:

- the cut-off moment is the wall moment at which the metered seconds reach the paid
  seconds (`cut_off_moment`; while a counted pause is open it lies later by the rest of
  the allowance and moves when the pause ends);
- an end at a wall second is billed for the metered seconds up to it (`metered_seconds`),
  at most the paid seconds: never more than held.

A connection gap (`capped=False`: a side's connection was lost, its node died, and it
came back) is a closed pause that always counts in full and uses none of the allowance:
the seconds between that side's last heartbeat and its return are not billed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

ZERO = timedelta(0)


@dataclass(frozen=True, slots=True)
class Pause:
    started_at: datetime
    ended_at: datetime | None  # None: still paused
    # False: a connection gap (always closed), counted in full beside the allowance.
    capped: bool = True


def _length(pause: Pause, begin: datetime, moment: datetime | None) -> timedelta | None:
    """The pause's wall length from `begin` (up to `moment` if given); None while open
    and `moment` is None."""
    end = (
        pause.ended_at
        if moment is None
        else (moment if pause.ended_at is None else min(pause.ended_at, moment))
    )
    return None if end is None else max(ZERO, end - begin)


def _sorted(pauses: Iterable[Pause], started_at: datetime) -> list[Pause]:
    return sorted(
        (p for p in pauses if p.ended_at is None or p.ended_at > started_at),
        key=lambda p: p.started_at,
    )


def paused_time(
    *, started_at: datetime, pauses: Sequence[Pause], moment: datetime, cap_seconds: int
) -> timedelta:
    """The paused time that counts between `started_at` and `moment` (exact, as a
    timedelta: no float rounding)."""
    capped = gaps = ZERO
    for pause in _sorted(pauses, started_at):
        length = _length(pause, max(pause.started_at, started_at), moment) or ZERO
        if pause.capped:
            capped += length
        else:
            gaps += length
    return min(capped, timedelta(seconds=cap_seconds)) + gaps


def metered_time(
    *, started_at: datetime, pauses: Sequence[Pause], moment: datetime, cap_seconds: int
) -> timedelta:
    """Wall time from `started_at` to `moment` minus the paused time that counts."""
    if moment <= started_at:
        return ZERO
    return (moment - started_at) - paused_time(
        started_at=started_at, pauses=pauses, moment=moment, cap_seconds=cap_seconds
    )


def metered_seconds(
    *, started_at: datetime, pauses: Sequence[Pause], moment: datetime, cap_seconds: int
) -> int:
    """Whole metered seconds up to `moment` (rounded down)."""
    return metered_time(
        started_at=started_at, pauses=pauses, moment=moment, cap_seconds=cap_seconds
    ) // timedelta(seconds=1)


def cut_off_moment(
    *, started_at: datetime, paid_seconds: int, pauses: Sequence[Pause], cap_seconds: int
) -> datetime:
    """The wall moment at which the metered time reaches `paid_seconds`."""
    moment = started_at
    remaining = timedelta(seconds=paid_seconds)
    allowance = timedelta(seconds=cap_seconds)
    for pause in _sorted(pauses, started_at):
        begin = max(pause.started_at, moment)
        gap = begin - moment
        if remaining <= gap:
            break
        remaining -= gap
        moment = begin
        length = _length(pause, begin, None)
        if not pause.capped:
            moment += length or ZERO
            continue
        counted = min(allowance if length is None else length, allowance)
        allowance -= counted
        moment += counted
        # A pause beyond the allowance runs on as metered time (the next gap).
    return moment + remaining
