"""WebSocket consumers: the consultation room (chat, live meter, cut-off) and the
partner's request channel. The protocol is documented in docs/websocket-protocol.md.

Each consumer is a thin edge: it parses a message, calls one service, and pushes the
result. The meter runs on the server: every socket of a live consultation (on whatever
process it is connected) runs one asyncio task that knows the exact cut-off moment
from the held amount, sends meter snapshots and warnings, and ends the consultation at
the cut-off or when a side's heartbeats stop. The timer never waits for the database:
the end is announced first and booked in a task of its own, and the look for a late
top-up shortly before the cut-off runs beside it. Ending is idempotent, so two sockets
racing to end book once.
"""

from __future__ import annotations

import asyncio
import logging
import math
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qs

from asgiref.sync import sync_to_async
from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings

from sprechzeit.accounts.models import Partner
from sprechzeit.consultations import events, services, tasks
from sprechzeit.consultations.errors import ConsultationError, NotParticipant
from sprechzeit.consultations.heartbeats import ROLES, heartbeat_record, heartbeats_last
from sprechzeit.consultations.models import Consultation
from sprechzeit.consultations.realtime import timebase
from sprechzeit.consultations.selectors import (
    client_pseudonym,
    consultation_for_user,
    listings_availability,
    open_requests_for,
    policy_for,
    transcript,
)
from sprechzeit.consultations.tariff import tariff_rate
from sprechzeit.core.errors import DomainError
from sprechzeit.platforms.models import Platform
from sprechzeit.platforms.selectors import normalise_host, platform_for_host

CLOSE_FORBIDDEN = 4403
# The client's socket looks for a top-up (beside its timer) this long before the
# cut-off, so the cut-off itself needs no database read and happens on the exact second.
PREFETCH_SECONDS = 5
# The client's socket books the cut-off; the partner's socket books it only if the
# client's has not announced it this long after the paid end (client gone, process
# dead). The booked second is the paid one either way.
PARTNER_CUTOFF_GRACE_SECONDS = 2
# A cut-off later than this is logged as a warning (the node is overloaded).
LATE_CUTOFF_SECONDS = 1.0
# A socket stores its side's heartbeat (for the peer's timeout and the reaper) at most
# this often; chat messages count as heartbeats but do not write more often.
HEARTBEAT_STORE_SECONDS = 5


logger = logging.getLogger(__name__)
# SQLite (demo, tests) takes one writer at a time: its work stays in Django's one
# database thread. PostgreSQL gets a small pool of its own: the database work is mostly
# Python (the ORM) and holds the interpreter lock, so every extra busy thread takes turns
# away from the event loop that keeps the cut-offs on time. Timers never wait for this
# pool; requests queue in it instead of starving the loop.
_THREAD_SENSITIVE = settings.DATABASES["default"]["ENGINE"].endswith("sqlite3")
_POOL = (
    None
    if _THREAD_SENSITIVE
    else ThreadPoolExecutor(
        max_workers=settings.CONSULTATION_DB_THREADS, thread_name_prefix="consultation-db"
    )
)


def _db(function: Any) -> Any:
    """Database work off the event loop."""
    if _POOL is None:
        return database_sync_to_async(function, thread_sensitive=True)
    return database_sync_to_async(function, thread_sensitive=False, executor=_POOL)


def _off_loop(function: Any) -> Any:
    """Blocking non-database work (the heartbeat store) off the event loop."""
    return sync_to_async(function, thread_sensitive=False, executor=_POOL)


class _Consumer(AsyncJsonWebsocketConsumer):  # type: ignore[misc]
    """Channels' consumer without its per-message database hop.

    `AsyncConsumer.dispatch` runs `close_old_connections` in Django's one
    thread-sensitive executor before *every* message (heartbeats, meter events): with
    thousands of sockets that single thread is the bottleneck. Every database call here
    goes through `_db` (`database_sync_to_async`), which closes stale connections in its
    own worker thread, so the hop is redundant.
    """

    async def dispatch(self, message: dict[str, Any]) -> None:
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)


CLOSE_NOT_FOUND = 4404
# Running end bookings, referenced so that the event loop does not drop them.
_BOOKINGS: set[asyncio.Future[Any]] = set()
Status = Consultation.Status
Reason = Consultation.EndReason


@dataclass(slots=True)
class RoomPolicy:
    warnings: tuple[int, ...]
    heartbeat_timeout: int
    request_timeout: int
    meter_interval: int


@dataclass(slots=True)
class MeterState:
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
    beats: dict[str, datetime] = field(default_factory=dict)

    def apply(self, state: dict[str, Any]) -> None:
        """Take a server snapshot (`services.meter_state`)."""
        if state.get("started_at"):
            self.started_at = datetime.fromisoformat(state["started_at"])
        self.paid_seconds = int(state["paid_seconds"])
        if state.get("cut_off_at"):
            self.cut_off_at = datetime.fromisoformat(state["cut_off_at"])
        elif self.started_at is not None:
            self.cut_off_at = self.started_at + timedelta(seconds=self.paid_seconds)
        self.paused = bool(state.get("paused", False))

    def metered(self, now: datetime) -> float:
        """Metered seconds at `now` (frozen while a counted pause is open)."""
        if self.cut_off_at is None:
            return 0.0
        running = self.paid_seconds - (self.cut_off_at - now).total_seconds()
        if self.paused:
            running = max(self.paused_metered, running)
        return max(0.0, running)


def _load_room(
    consultation_id: str, user: Any
) -> tuple[Consultation, str, RoomPolicy, list[dict[str, Any]], dict[str, Any]]:
    participation = consultation_for_user(consultation_id=consultation_id, user=user)
    consultation = participation.consultation
    policy = policy_for(consultation.platform)
    messages = [
        {"sender": message.sender, "body": message.body, "at": message.sent_at.isoformat()}
        for message in transcript(consultation=consultation)
    ]
    return (
        consultation,
        participation.role,
        RoomPolicy(
            warnings=policy.warnings,
            heartbeat_timeout=policy.heartbeat_timeout_seconds,
            request_timeout=policy.request_timeout_seconds,
            meter_interval=policy.meter_interval_seconds,
        ),
        messages,
        services.meter_state(consultation),
    )


def _extend_state(consultation: Consultation, now: datetime) -> dict[str, Any]:
    return services.meter_state(services.consultation_extend(consultation=consultation, now=now))


def _pause_state(consultation: Consultation, pause: bool, now: datetime) -> dict[str, Any]:
    service = services.consultation_pause if pause else services.consultation_resume
    return services.meter_state(
        service(consultation=consultation, client=consultation.client, now=now)
    )


class ConsultationConsumer(_Consumer):
    """`/ws/consultations/<id>/`: one participant's socket of one consultation."""

    consultation: Consultation
    role: str
    policy: RoomPolicy
    meter: MeterState
    group: str

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        # Timers live and die with the socket's application: no orphaned meter survives
        # a cancelled connection (a dying process leaves the rest to the reaper).
        self._tasks: list[asyncio.Task[None]] = []
        self._stored_beat: datetime | None = None
        try:
            await super().__call__(scope, receive, send)
        finally:
            for task in self._tasks:
                task.cancel()

    async def connect(self) -> None:
        self._changed = asyncio.Event()
        consultation_id = str(self.scope["url_route"]["kwargs"]["consultation_id"])
        try:
            consultation, role, policy, messages, state = await _db(_load_room)(
                consultation_id, self.scope.get("user")
            )
        except NotParticipant:
            await self.close(code=CLOSE_FORBIDDEN)
            return
        except ConsultationError:
            await self.close(code=CLOSE_NOT_FOUND)
            return
        self.consultation, self.role, self.policy = consultation, role, policy
        self.meter = MeterState(
            status=consultation.status,
            started_at=consultation.started_at,
            paid_seconds=consultation.paid_seconds,
            max_duration_seconds=consultation.max_duration_seconds,
            requested_at=consultation.requested_at,
        )
        if consultation.status == Status.LIVE:
            self.meter.apply(state)
        self.group = events.consultation_group(consultation.pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        await self._heartbeat(timebase.current().now())
        await self.send_json(
            {
                "type": "hello",
                "role": role,
                "state": state,
                "transcript": messages,
                "warnings": list(policy.warnings),
                "heartbeat_timeout_seconds": policy.heartbeat_timeout,
            }
        )
        if consultation.status == Status.LIVE:
            self._start_meter()
        elif consultation.status == Status.REQUESTED and role == "client":
            self._spawn(self._request_timer())
        elif consultation.status in (Status.ENDED, Status.SETTLED):
            await self.send_json({"type": "ended", "state": services.ended_state(consultation)})

    async def disconnect(self, code: int) -> None:
        for task in getattr(self, "_tasks", []):
            task.cancel()
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    # --- from the browser ---------------------------------------------------------------

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if not isinstance(content, dict):
            await self._error("malformed", "Eine Nachricht ist ein JSON-Objekt.")
            return
        now = timebase.current().now()
        await self._heartbeat(now)
        kind = content.get("type")
        try:
            if kind == "heartbeat":
                await self.send_json({"type": "heartbeat.ack", "at": now.isoformat()})
            elif kind == "chat":
                await self._chat(str(content.get("body", "")), now)
            elif kind == "end":
                await self._end(Reason.CLIENT if self.role == "client" else Reason.PARTNER, None)
            elif kind == "extend" and self.role == "client":
                await self._extend()
            elif kind in ("pause", "resume") and self.role == "client":
                # The client opened / left the top-up page (platform policy).
                state = await _db(_pause_state)(self.consultation, kind == "pause", now)
                await self.channel_layer.group_send(
                    self.group, {"type": f"consultation.{kind}d", "state": state}
                )
            elif kind == "cancel" and self.role == "client":
                await _db(services.consultation_cancel)(
                    consultation=self.consultation, client=self.consultation.client, now=now
                )
            else:
                await self._error("unknown_type", "Unbekannter Nachrichtentyp.")
        except DomainError as exc:
            await self.send_json({"type": "error", **exc.as_dict()})

    async def _chat(self, body: str, now: datetime) -> None:
        message = await _db(services.chat_message_create)(
            consultation=await self._fresh(), role=self.role, body=body, now=now
        )
        await self.channel_layer.group_send(
            self.group,
            {
                "type": "chat.message",
                "sender": message.sender,
                "body": message.body,
                "at": message.sent_at.isoformat(),
            },
        )

    async def _fresh(self) -> Consultation:
        consultation: Consultation = await _db(
            Consultation.objects.select_related("client", "partner", "platform").get
        )(pk=self.consultation.pk)
        return consultation

    async def _heartbeat(self, now: datetime) -> None:
        """This side is present at `now`. Stored (cache: Redis in production) at most
        every few seconds, not pushed to the peer: the peer's meter reads the store
        only when its timeout would fire, so a heartbeat costs one write, not a
        broadcast."""
        self.meter.beats[self.role] = now
        stored = self._stored_beat
        if stored is None or (now - stored).total_seconds() >= HEARTBEAT_STORE_SECONDS:
            self._stored_beat = now
            await _off_loop(heartbeat_record)(
                consultation_id=self.consultation.pk, role=self.role, at=now
            )

    async def _refresh_beats(self) -> None:
        """Merge the stored heartbeats of both sides (the peer may be on another
        process) into this socket's view."""
        stored = await _off_loop(heartbeats_last)(consultation_id=self.consultation.pk)
        for role, at in stored.items():
            previous = self.meter.beats.get(role)
            if previous is None or at > previous:
                self.meter.beats[role] = at

    async def _error(self, code: str, message: str) -> None:
        await self.send_json({"type": "error", "code": code, "message": message, "fields": {}})

    # --- from the group -------------------------------------------------------------------

    async def chat_message(self, event: dict[str, Any]) -> None:
        await self.send_json(
            {"type": "chat", "sender": event["sender"], "body": event["body"], "at": event["at"]}
        )

    async def consultation_started(self, event: dict[str, Any]) -> None:
        state = event["state"]
        self.meter.status = Status.LIVE
        self.meter.apply(state)
        assert self.meter.started_at is not None
        # Both sides count as present from the start.
        for role in ROLES:
            self.meter.beats[role] = max(
                self.meter.beats.get(role, self.meter.started_at), self.meter.started_at
            )
        await self.send_json({"type": "started", "state": state})
        self._start_meter()

    async def consultation_extended(self, event: dict[str, Any]) -> None:
        state = event["state"]
        if int(state["paid_seconds"]) >= self.meter.paid_seconds:
            self.meter.apply(state)
        self._changed.set()
        await self.send_json({"type": "extended", "state": state})

    async def consultation_paused(self, event: dict[str, Any]) -> None:
        if not self.meter.paused:
            self.meter.paused_metered = self.meter.metered(timebase.current().now())
        self.meter.apply(event["state"])
        self._changed.set()
        await self.send_json({"type": "paused", "state": event["state"]})

    async def consultation_resumed(self, event: dict[str, Any]) -> None:
        self.meter.apply(event["state"])
        self._changed.set()
        await self.send_json({"type": "resumed", "state": event["state"]})

    async def consultation_cutoff(self, event: dict[str, Any]) -> None:
        await self._announce_end(event["state"])

    async def consultation_ended(self, event: dict[str, Any]) -> None:
        if getattr(self, "_end_announced", False):
            await self.send_json({"type": "settled", "state": event["state"]})
            return
        await self._announce_end(event["state"])

    async def _announce_end(self, state: dict[str, Any]) -> None:
        self.meter.status = Status.ENDED
        self._changed.set()
        if not getattr(self, "_end_announced", False):
            self._end_announced = True
            await self.send_json({"type": "ended", "state": state})

    async def _closed_request(self, kind: str, event: dict[str, Any]) -> None:
        self.meter.status = kind
        for task in self._tasks:
            task.cancel()
        await self.send_json({"type": kind, "state": event["state"]})

    async def consultation_declined(self, event: dict[str, Any]) -> None:
        await self._closed_request("declined", event)

    async def consultation_missed(self, event: dict[str, Any]) -> None:
        await self._closed_request("missed", event)

    async def consultation_cancelled(self, event: dict[str, Any]) -> None:
        await self._closed_request("cancelled", event)

    # --- timers ---------------------------------------------------------------------------

    def _spawn(self, coroutine: Any) -> None:
        self._tasks.append(asyncio.ensure_future(coroutine))

    def _start_meter(self) -> None:
        if not any(getattr(task, "_meter", False) for task in self._tasks):
            task = asyncio.ensure_future(self._run_meter_logged())
            task._meter = True  # type: ignore[attr-defined]
            self._tasks.append(task)

    async def _request_timer(self) -> None:
        clock = timebase.current()
        due = self.meter.requested_at + timedelta(seconds=self.policy.request_timeout)
        await clock.sleep_until(due)
        if self.meter.status == Status.REQUESTED:
            await _db(services.consultation_miss)(consultation=self.consultation, now=clock.now())

    async def _wait(self, moment: datetime) -> None:
        """Sleep until `moment` or until the state changes (extension, end)."""
        self._changed.clear()
        sleeper = asyncio.ensure_future(timebase.current().sleep_until(moment))
        changed = asyncio.ensure_future(self._changed.wait())
        try:
            await asyncio.wait({sleeper, changed}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            sleeper.cancel()
            changed.cancel()

    async def _extend(self) -> bool:
        before = self.meter.paid_seconds
        state = await _db(_extend_state)(self.consultation, timebase.current().now())
        if int(state["paid_seconds"]) > before:
            self.meter.apply(state)
            self._changed.set()
        return self.meter.paid_seconds > before

    async def _prefetch(self) -> None:
        """Look for a top-up shortly before the cut-off, beside the meter: the timer
        never waits for the database, so a busy database cannot delay a cut-off.
        (Top-ups extend by themselves through the wallet's credit signal; this is the
        fallback.)"""
        try:
            await self._extend()
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.warning(
                "prefetch of consultation %s failed", self.consultation.pk, exc_info=True
            )

    async def _cut_off(self, paid: int, at_second: float) -> None:
        """The exact second: both screens hear the end at once (the amount is the rating
        function's, exactly what settlement books), then the end is booked."""
        reason = Reason.MAX_DURATION if paid >= self.meter.max_duration_seconds else Reason.BALANCE
        state = {
            "consultation": str(self.consultation.pk),
            "status": Status.ENDED,
            "reason": reason,
            "duration_seconds": paid,
            "billed_seconds": None,
            "amount_minor": tariff_rate(seconds=paid, tariff=self.consultation.tariff).minor,
            "currency": self.consultation.currency,
        }
        # The booking starts before anything else is awaited: a browser that leaves the
        # moment it hears `ended` closes this socket, which must not cancel the booking.
        booking = self._booking(reason, at_second)
        # This browser hears it first, without the round trip through the channel layer.
        await self._announce_end(state)
        await self.channel_layer.group_send(
            self.group, {"type": "consultation.cutoff", "state": state}
        )
        await asyncio.shield(booking)

    async def _end(self, reason: str, at_second: float | None) -> None:
        # Shielded: a socket that closes right at the end (the browser got `ended` and
        # left) must not cancel the booking of that very end.
        await asyncio.shield(self._booking(reason, at_second))

    def _booking(self, reason: str, at_second: float | None) -> asyncio.Future[Any]:
        """Book the end in a task of its own that outlives this socket."""
        task: asyncio.Future[Any] = asyncio.ensure_future(
            self._book(reason, at_second, timebase.current().now())
        )
        _BOOKINGS.add(task)
        task.add_done_callback(_BOOKINGS.discard)
        return task

    async def _book(self, reason: str, at_second: float | None, now: datetime) -> None:
        """With a Celery worker the settlement runs there (`tasks.end`): this process
        keeps its interpreter for the timers. Without one (demo, tests), or when the
        broker refuses, it is booked here."""
        try:
            if await _off_loop(tasks.end_enqueue)(
                consultation_id=self.consultation.pk, reason=reason, at_second=at_second, now=now
            ):
                return
        except Exception:
            logger.warning(
                "queueing the end of %s failed; booking here", self.consultation.pk, exc_info=True
            )
        await _db(services.consultation_end)(
            consultation=self.consultation, reason=reason, at_second=at_second, now=now
        )

    def _meter_snapshot(self, elapsed: int) -> dict[str, Any]:
        tariff = self.consultation.tariff
        paid = self.meter.paid_seconds
        return {
            "type": "meter",
            "elapsed_seconds": elapsed,
            "cost_minor": tariff_rate(seconds=min(elapsed, paid), tariff=tariff).minor,
            "remaining_seconds": max(0, paid - elapsed),
            "paid_seconds": paid,
            "paused": self.meter.paused,
            "currency": tariff.currency,
        }

    async def _run_meter_logged(self) -> None:
        try:
            await self._run_meter()
        except asyncio.CancelledError:
            raise
        except OSError:
            # The browser left while the meter spoke to it (uvicorn's ClientDisconnected);
            # the peer's timer, or the reaper, does the rest.
            logger.debug("meter of consultation %s: socket gone", self.consultation.pk)
        except Exception:
            # The reaper ends and settles what a failed timer left behind.
            logger.exception("meter of consultation %s failed", self.consultation.pk)

    async def _run_meter(self) -> None:
        """Wake at the next moment that matters (a meter snapshot, a warning, the
        prefetch, the cut-off, a heartbeat deadline) or when the state changes; all
        moments are wall moments derived from the cut-off."""
        clock = timebase.current()
        assert self.meter.started_at is not None
        started = self.meter.started_at
        timeout = timedelta(seconds=self.policy.heartbeat_timeout)
        sent_warnings: set[int] = set()
        seen_cut: datetime | None = None
        prefetched_for: datetime | None = None
        next_tick = 0
        while self.meter.status == Status.LIVE:
            now = clock.now()
            cut = self.meter.cut_off_at
            assert cut is not None
            paid = self.meter.paid_seconds
            left = (cut - now).total_seconds()
            elapsed = math.floor(self.meter.metered(now))
            if cut != seen_cut:
                # A new cut-off: warnings whose moment already passed are not sent late.
                sent_warnings = {w for w in self.policy.warnings if left < w}
                seen_cut = cut
            last_beat = min(self.meter.beats.get(role, started) for role in ROLES)
            if now - last_beat >= timeout:
                await self._refresh_beats()
                last_beat = min(self.meter.beats.get(role, started) for role in ROLES)
                if now - last_beat >= timeout:
                    confirmed = max(0, math.floor((last_beat - started).total_seconds()))
                    await self._end(Reason.TIMEOUT, confirmed)
                    return
                continue
            if left <= 0:
                grace_end = cut + timedelta(seconds=PARTNER_CUTOFF_GRACE_SECONDS)
                if self.role == "partner" and now < grace_end:
                    # The client's socket books it; wait for its announcement.
                    await self._wait(grace_end)
                    continue
                grace = PARTNER_CUTOFF_GRACE_SECONDS if self.role == "partner" else 0
                if -left > LATE_CUTOFF_SECONDS + grace:
                    # An overloaded node shows here first (the booking is exact anyway).
                    logger.warning("cut-off of %s late by %.2f s", self.consultation.pk, -left)
                await self._cut_off(paid, (cut - started).total_seconds())
                return
            if self.role == "client" and prefetched_for != cut and left <= PREFETCH_SECONDS:
                prefetched_for = cut
                if paid < self.meter.max_duration_seconds:
                    self._spawn(self._prefetch())
            due_warnings = [w for w in self.policy.warnings if w not in sent_warnings and left <= w]
            if due_warnings:
                for warning in due_warnings:
                    sent_warnings.add(warning)
                    await self.send_json(
                        {
                            "type": "warning",
                            "remaining_seconds": warning,
                            "at_second": paid - warning,
                        }
                    )
            if elapsed >= next_tick:
                await self.send_json(self._meter_snapshot(elapsed))
                while next_tick <= elapsed:
                    next_tick += self.policy.meter_interval
            # Seconds before the cut-off at which to wake; the next snapshot is due when
            # the metered seconds reach `next_tick` (not during a counted pause).
            before_cut = [0.0, float(paid - next_tick)]
            if self.role == "client" and prefetched_for != cut:
                before_cut.append(float(PREFETCH_SECONDS))
            before_cut += [float(w) for w in self.policy.warnings if w not in sent_warnings]
            wake = min(cut - timedelta(seconds=max(before_cut)), last_beat + timeout)
            await self._wait(max(wake, now))


class PartnerRequestsConsumer(_Consumer):
    """`/ws/partner/requests/`: incoming requests for the logged-in partner (on all
    platforms), with accept / decline, and the partner's online switch."""

    async def connect(self) -> None:
        user = self.scope.get("user")
        partner = await _db(_partner_of)(user)
        if partner is None:
            await self.close(code=CLOSE_FORBIDDEN)
            return
        self.partner = partner
        self.group = events.partner_group(partner.pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        pending = await _db(_open_requests)(partner)
        await self.send_json({"type": "hello", "requests": pending})

    async def disconnect(self, code: int) -> None:
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if not isinstance(content, dict):
            await self.send_json(
                {"type": "error", "code": "malformed", "message": "", "fields": {}}
            )
            return
        kind = content.get("type")
        now = timebase.current().now()
        try:
            if kind in ("accept", "decline"):
                consultation = await _db(_consultation_of_partner)(
                    self.partner, str(content.get("consultation", ""))
                )
                service = (
                    services.consultation_accept
                    if kind == "accept"
                    else services.consultation_decline
                )
                result = await _db(service)(
                    consultation=consultation, partner=self.partner, now=now
                )
                await self.send_json(
                    {"type": f"{kind}ed", "consultation": str(result.pk), "status": result.status}
                )
            elif kind == "presence":
                presence = await _db(services.presence_set)(
                    partner=self.partner, status=str(content.get("status", "")), now=now
                )
                await self.send_json({"type": "presence", "status": presence.status})
            elif kind == "heartbeat":
                await self.send_json({"type": "heartbeat.ack", "at": now.isoformat()})
            else:
                await self.send_json(
                    {"type": "error", "code": "unknown_type", "message": "", "fields": {}}
                )
        except DomainError as exc:
            await self.send_json({"type": "error", **exc.as_dict()})
        except ValueError:
            await self.send_json(
                {"type": "error", "code": "malformed", "message": "", "fields": {}}
            )

    async def request_new(self, event: dict[str, Any]) -> None:
        summary = await _db(_request_summary)(event["consultation"])
        if summary is not None:
            await self.send_json({"type": "request", **summary})

    async def request_closed(self, event: dict[str, Any]) -> None:
        await self.send_json(
            {
                "type": "request.closed",
                "consultation": event["consultation"],
                "status": event["status"],
            }
        )

    async def presence_changed(self, event: dict[str, Any]) -> None:
        return None


def _partner_of(user: Any) -> Partner | None:
    if user is None or not user.is_authenticated:
        return None
    return Partner.objects.filter(user=user).first()


def _consultation_of_partner(partner: Partner, consultation_id: str) -> Consultation:
    consultation = Consultation.objects.filter(pk=consultation_id, partner=partner).first()
    if consultation is None:
        raise NotParticipant()
    return consultation


def _request_summary(consultation_id: str) -> dict[str, Any] | None:
    consultation = (
        Consultation.objects.select_related("listing", "platform", "client")
        .filter(pk=consultation_id)
        .first()
    )
    if consultation is None or consultation.status != Status.REQUESTED:
        return None
    policy = policy_for(consultation.platform)
    return {
        "consultation": str(consultation.pk),
        "platform": consultation.platform.name,
        "listing": consultation.listing.display_name,
        "client": client_pseudonym(consultation=consultation),
        "channel": consultation.channel,
        "rate_minor": consultation.rate_minor,
        "currency": consultation.currency,
        "requested_at": consultation.requested_at.isoformat(),
        "expires_at": (
            consultation.requested_at + timedelta(seconds=policy.request_timeout_seconds)
        ).isoformat(),
    }


def _open_requests(partner: Partner) -> list[dict[str, Any]]:
    result = []
    for consultation in open_requests_for(partner=partner):
        summary = _request_summary(str(consultation.pk))
        if summary is not None:
            result.append(summary)
    return result


class PresenceConsumer(_Consumer):
    """`/ws/presence/?listing=<id>&listing=<id>`: a directory page of the request's
    platform hears when one of these listings turns online, busy or offline."""

    async def connect(self) -> None:
        headers = dict(self.scope.get("headers", []))
        host = headers.get(b"host", b"").decode("latin-1")
        query = parse_qs(self.scope.get("query_string", b"").decode("latin-1"))
        ids = [int(value) for value in query.get("listing", []) if value.isdigit()][:200]
        self.platform = await _db(_platform_of)(host)
        if self.platform is None:
            await self.close(code=CLOSE_NOT_FOUND)
            return
        self.listing_ids = ids
        self.group = events.presence_group(self.platform.pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        await self._push()

    async def disconnect(self, code: int) -> None:
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def presence_changed(self, event: dict[str, Any]) -> None:
        await self._push()

    async def _push(self) -> None:
        availability = await _db(listings_availability)(self.platform, listing_ids=self.listing_ids)
        await self.send_json(
            {"type": "presence", "listings": {str(k): v for k, v in availability.items()}}
        )


def _platform_of(host: str) -> Platform | None:
    try:
        return platform_for_host(host=normalise_host(host))
    except DomainError:
        return None
