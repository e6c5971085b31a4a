"""Throttles: at most `limit` attempts per key within a window, counted in the cache.

One limiter for every door that can be hammered (password log-in, TOTP step, password
reset, sign-up, contact form). A *bucket* names a rate (`scope`, configured in
`settings.SPRECHZEIT_THROTTLES` as `(limit, seconds)`) and what it counts (`key`: an
e-mail address, a user, a client address). Keys are stored only as keyed hashes.

How it counts, and why:

- An attempt is counted *before* the guarded work (`throttle_take`), with the cache's
  atomic increment, so a burst of parallel requests cannot all slip past a check that
  reads the count first. Work that turns out to be no failure hands its count back
  (`throttle_give_back`, for example a correct password).
- A window opens with the first attempt and lasts `seconds` by the project's clock
  (`core.clock`, which the tests freeze and move); when it has passed, the next attempt
  opens a new one. The `limit + 1`-th attempt inside a window is refused, whatever it
  carries, until the window ends.
- Refused attempts still count in the other buckets of the same call: an address that
  keeps trying a locked account uses up its own allowance too.
"""

from __future__ import annotations

import hashlib
import hmac
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from django.conf import settings
from django.core.cache import cache
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from sprechzeit.core import clock
from sprechzeit.core.errors import DomainError

PREFIX = "sprechzeit:throttle"


@dataclass(frozen=True, slots=True)
class Bucket:
    scope: str
    key: str


@dataclass(frozen=True, slots=True)
class Ticket:
    """The counters one `throttle_take` raised (to hand them back)."""

    counters: tuple[str, ...]


class Throttled(DomainError):
    code: ClassVar[str] = "throttled"
    default_message: ClassVar[str | Promise] = _(
        "Zu viele Versuche. Bitte warten Sie einige Minuten und versuchen Sie es dann erneut."
    )

    @property
    def retry_after(self) -> int:
        """Seconds until the longest of the exceeded windows ends."""
        return int(self.fields.get("retry_after", 60))

    def user_message(self) -> str:
        """The message for a page, in the active language, with the waiting time."""
        minutes = max(1, math.ceil(self.retry_after / 60))
        return ngettext(
            "Zu viele Versuche. Bitte versuchen Sie es in %(minutes)d Minute erneut.",
            "Zu viele Versuche. Bitte versuchen Sie es in %(minutes)d Minuten erneut.",
            minutes,
        ) % {"minutes": minutes}


def throttle_rate(scope: str) -> tuple[int, int]:
    """`(limit, seconds)` of a scope from `settings.SPRECHZEIT_THROTTLES`."""
    limit, seconds = settings.SPRECHZEIT_THROTTLES[scope]
    return int(limit), int(seconds)


def _digest(bucket: Bucket) -> str:
    key = settings.SECRET_KEY.encode()
    text = f"{bucket.scope}\x00{bucket.key}".encode()
    return hmac.new(key, text, hashlib.sha256).hexdigest()[:40]


def _window_start(base: str, now: float, seconds: int) -> float:
    """The start of the bucket's current window, opening a new one when there is none or
    the last has passed. Two racers at a window's turn may each open one; at most their
    own attempts are then counted in a window the others do not see."""

    def current(value: object) -> bool:
        return isinstance(value, int | float) and now - seconds < value <= now

    start = cache.get(base)
    if current(start):
        return float(start)
    if start is None and cache.add(base, now, timeout=seconds + 1):
        return now
    start = cache.get(base)
    if current(start):
        return float(start)
    cache.set(base, now, timeout=seconds + 1)
    return now


def throttle_take(*, buckets: Sequence[Bucket]) -> Ticket:
    """Count one attempt in each bucket. Raises `Throttled` (with `retry_after`) when any
    bucket has gone over its limit in its current window; the caller must then refuse
    the attempt without doing the guarded work."""
    now = clock.now().timestamp()
    counters: list[str] = []
    retry_after = 0
    for bucket in buckets:
        limit, seconds = throttle_rate(bucket.scope)
        base = f"{PREFIX}:{bucket.scope}:{_digest(bucket)}"
        start = _window_start(base, now, seconds)
        counter = f"{base}:{start!r}"
        remaining = max(1, math.ceil(start + seconds - now))
        cache.add(counter, 0, timeout=seconds + 1)
        try:
            count = cache.incr(counter)
        except ValueError:  # evicted between add and incr
            cache.set(counter, 1, timeout=seconds + 1)
            count = 1
        # Some backends (files) restart an entry's expiry on incr; the window's end holds.
        cache.touch(counter, timeout=remaining + 1)
        counters.append(counter)
        if count > limit:
            retry_after = max(retry_after, remaining)
    if retry_after:
        raise Throttled(retry_after=retry_after)
    return Ticket(counters=tuple(counters))


def throttle_give_back(*, ticket: Ticket) -> None:
    """Undo one `throttle_take` whose attempt turned out to be no failure."""
    for counter in ticket.counters:
        try:
            if int(cache.get(counter, 0)) > 0:
                cache.decr(counter)
        except ValueError:  # the window ended meanwhile: nothing left to hand back
            continue
