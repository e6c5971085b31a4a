"""`/ws/consultations/<id>/`: the consultation room (chat, live meter, cut-off); the
protocol is docs/websocket-protocol.md, typed in `consultations.protocol`. A thin edge:
it parses a frame, calls one service, pushes the result. Every socket of a live
consultation runs one asyncio task that asks the pure schedule (`consultations.meter`)
what to do and when to wake (snapshots, warnings, the top-up look, the cut-off, a side's
heartbeats stopping). The timer never waits for the database: the end is announced
first and booked in a task of its own. Ending is idempotent: two racing sockets book once.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Coroutine
from datetime import datetime
from typing import Final, Literal

from asgiref.typing import ASGIReceiveCallable, ASGISendCallable, Scope

from sprechzeit.consultations import events
from sprechzeit.consultations.errors import ConsultationError, NotParticipant
from sprechzeit.consultations.meter import Action, Meter, RoomPolicy, Schedule
from sprechzeit.consultations.models import Consultation
from sprechzeit.consultations.protocol import (
    CLOSE_FORBIDDEN,
    CLOSE_NOT_FOUND,
    ChatEvent,
    ChatFrame,
    ClosedRequestFrame,
    EndedState,
    EndEvent,
    EndSummary,
    ErrorFrame,
    HeartbeatAckFrame,
    HelloFrame,
    ReconnectedEvent,
    Role,
    StateEvent,
    StateFrame,
)
from sprechzeit.consultations.realtime import gaps, hops, timebase
from sprechzeit.consultations.realtime.base import db, error_frame
from sprechzeit.consultations.realtime.beats import heartbeat_note, heartbeats_seen
from sprechzeit.consultations.realtime.booking import end_booking_start
from sprechzeit.consultations.realtime.ending import end_frame
from sprechzeit.consultations.realtime.video import MEDIA_KINDS, VideoRoom, media_state
from sprechzeit.consultations.selectors import consultation_by_id, ended_state, room_for_user
from sprechzeit.consultations.services.chat import chat_message_create
from sprechzeit.consultations.services.lifecycle import consultation_cancel
from sprechzeit.consultations.tariff import tariff_rate
from sprechzeit.core import metrics
from sprechzeit.core.errors import DomainError

# A socket stores its side's heartbeat (for the peer's timeout and the reaper) at most
# this often; chat messages count as heartbeats but do not write more often.
HEARTBEAT_STORE_SECONDS: Final = 5

logger = logging.getLogger(__name__)
Status = Consultation.Status
Reason = Consultation.EndReason


class ConsultationConsumer(VideoRoom):
    """`/ws/consultations/<id>/`: one participant's socket of one consultation."""

    consultation: Consultation
    role: Role
    policy: RoomPolicy
    meter: Meter
    group: str

    async def __call__(
        self, scope: Scope, receive: ASGIReceiveCallable, send: ASGISendCallable
    ) -> None:
        # Timers live and die with the socket's application: no orphaned meter survives
        # a cancelled connection (a dying process leaves the rest to the reaper).
        self._tasks: list[asyncio.Future[None]] = []
        self._meter_task: asyncio.Future[None] | None = None
        self._stored_beat: datetime | None = None
        self._end_announced = False
        try:
            await super().__call__(scope, receive, send)
        finally:
            for task in self._tasks:
                task.cancel()

    async def connect(self) -> None:
        self._changed = asyncio.Event()
        consultation_id = str(self.scope["url_route"]["kwargs"]["consultation_id"])
        try:
            room = await db(
                room_for_user, consultation_id=consultation_id, user=self.scope.get("user")
            )
        except NotParticipant:
            await self.close(code=CLOSE_FORBIDDEN)
            return
        except ConsultationError:
            await self.close(code=CLOSE_NOT_FOUND)
            return
        consultation = room.consultation
        self.consultation, self.role, self.policy = consultation, room.role, room.policy
        self.meter = Meter(
            status=consultation.status,
            started_at=consultation.started_at,
            paid_seconds=consultation.paid_seconds,
            max_duration_seconds=consultation.max_duration_seconds,
            requested_at=consultation.requested_at,
        )
        self.group = events.consultation_group(consultation.pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        state = room.state
        if consultation.status == Status.LIVE:
            state = await gaps.state_after_gap(self.consultation, self.role, state)
            self.meter.apply(state)
        now = timebase.current().now()
        self._heartbeat(now)
        hello: HelloFrame = {
            "type": "hello",
            "role": room.role,
            "state": state,
            "transcript": room.transcript,
            "warnings": list(room.policy.warnings),
            "heartbeat_timeout_seconds": room.policy.heartbeat_timeout,
            "channel": consultation.channel,
            "media": media_state(consultation, room.role, now),
        }
        await self.send_json(hello)
        if consultation.status == Status.LIVE:
            self._start_meter()
        elif consultation.status == Status.REQUESTED and room.role == "client":
            self._spawn(self._request_timer())
        elif consultation.status in (Status.ENDED, Status.SETTLED):
            await self.send_json(
                await end_frame("ended", ended_state(consultation), role=self.role)
            )

    async def disconnect(self, code: int) -> None:
        for task in getattr(self, "_tasks", []):
            task.cancel()
        if getattr(self, "meter", None) is not None and self.meter.status == Status.LIVE:
            await gaps.heartbeat_at_close(self.consultation, self.role)
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    # --- from the browser ---------------------------------------------------------------

    async def receive_json(self, content: object, **kwargs: object) -> None:
        if not isinstance(content, dict):
            await self._error("malformed", "Eine Nachricht ist ein JSON-Objekt.")
            return
        now = timebase.current().now()
        self._heartbeat(now)
        kind = content.get("type")
        try:
            if kind == "heartbeat":
                ack: HeartbeatAckFrame = {"type": "heartbeat.ack", "at": now.isoformat()}
                await self.send_json(ack)
            elif kind == "chat":
                await self._chat(str(content.get("body", "")), now)
            elif kind == "end":
                await self._end(Reason.CLIENT if self.role == "client" else Reason.PARTNER, None)
            elif kind == "extend" and self.role == "client":
                await self._extend()
            elif kind in ("pause", "resume") and self.role == "client":
                # The client opened / left the top-up page (platform policy).
                await self._pause(kind == "pause", now)
            elif kind in MEDIA_KINDS:
                await self.media_receive(str(kind), content, now)
            elif kind == "cancel" and self.role == "client":
                await db(
                    consultation_cancel,
                    consultation=self.consultation,
                    client=self.consultation.client,
                    now=now,
                )
            else:
                await self._error("unknown_type", "Unbekannter Nachrichtentyp.")
        except DomainError as exc:
            await self.send_json(error_frame(exc))

    async def _chat(self, body: str, now: datetime) -> None:
        fresh = await db(consultation_by_id, self.consultation.pk)
        message = await db(
            chat_message_create, consultation=fresh, role=self.role, body=body, now=now
        )
        event: ChatEvent = {
            "type": "chat.message",
            "sender": message.sender,
            "body": message.body,
            "at": message.sent_at.isoformat(),
        }
        await self.channel_layer.group_send(self.group, event)

    async def _pause(self, pause: bool, now: datetime) -> None:
        state = await db(hops.pause_state, self.consultation, pause, now)
        event: StateEvent = {
            "type": "consultation.paused" if pause else "consultation.resumed",
            "state": state,
        }
        await self.channel_layer.group_send(self.group, event)

    def _heartbeat(self, now: datetime) -> None:
        """This side is present at `now`. Stored (cache: Redis in production) at most
        every few seconds, with the process's next batch (`realtime.beats`), not pushed
        to the peer: the peer's meter reads the store only when its timeout would fire,
        so a heartbeat costs a note, not a write or a broadcast."""
        self.meter.beats[self.role] = now
        stored = self._stored_beat
        if stored is None or (now - stored).total_seconds() >= HEARTBEAT_STORE_SECONDS:
            self._stored_beat = now
            heartbeat_note(consultation_id=self.consultation.pk, role=self.role, at=now)

    async def _refresh_beats(self) -> None:
        """Merge the stored heartbeats of both sides (the peer may be on another
        process) into this socket's view."""
        self.meter.beats_merge(await heartbeats_seen(consultation_id=self.consultation.pk))

    async def _error(self, code: str, message: str) -> None:
        frame: ErrorFrame = {"type": "error", "code": code, "message": message, "fields": {}}
        await self.send_json(frame)

    # --- from the group -------------------------------------------------------------------

    async def chat_message(self, event: ChatEvent) -> None:
        frame: ChatFrame = {
            "type": "chat",
            "sender": event["sender"],
            "body": event["body"],
            "at": event["at"],
        }
        await self.send_json(frame)

    async def consultation_started(self, event: StateEvent) -> None:
        self.meter.start(event["state"])
        frame: StateFrame = {"type": "started", "state": event["state"]}
        await self.send_json(frame)
        self._start_meter()

    async def consultation_extended(self, event: StateEvent) -> None:
        self.meter.extend(event["state"])
        self._changed.set()
        frame: StateFrame = {"type": "extended", "state": event["state"]}
        await self.send_json(frame)

    async def consultation_paused(self, event: StateEvent) -> None:
        self.meter.pause(event["state"], timebase.current().now())
        self._changed.set()
        frame: StateFrame = {"type": "paused", "state": event["state"]}
        await self.send_json(frame)

    async def consultation_resumed(self, event: StateEvent) -> None:
        self.meter.apply(event["state"])
        self._changed.set()
        frame: StateFrame = {"type": "resumed", "state": event["state"]}
        await self.send_json(frame)

    async def consultation_reconnected(self, event: ReconnectedEvent) -> None:
        self.meter.apply(event["state"])
        self._changed.set()
        await self.send_json(gaps.reconnected_frame(event))

    async def consultation_cutoff(self, event: EndEvent) -> None:
        await self._announce_end(event["state"])

    async def consultation_ended(self, event: EndEvent) -> None:
        if self._end_announced:
            frame = await end_frame(
                "settled", event["state"], role=self.role, summaries=event.get("summaries")
            )
            await self.send_json(frame)
            return
        await self._announce_end(event["state"], event.get("summaries"))

    async def _announce_end(
        self, state: EndedState, summaries: dict[str, EndSummary | None] | None = None
    ) -> None:
        self.meter.status = Status.ENDED
        self._changed.set()
        if not self._end_announced:
            self._end_announced = True
            frame = await end_frame("ended", state, role=self.role, summaries=summaries)
            await self.send_json(frame)

    async def _closed_request(
        self, kind: Literal["declined", "missed", "cancelled"], event: StateEvent
    ) -> None:
        self.meter.status = kind
        for task in self._tasks:
            task.cancel()
        frame: ClosedRequestFrame = {"type": kind, "state": event["state"]}
        await self.send_json(frame)

    async def consultation_declined(self, event: StateEvent) -> None:
        await self._closed_request("declined", event)

    async def consultation_missed(self, event: StateEvent) -> None:
        await self._closed_request("missed", event)

    async def consultation_cancelled(self, event: StateEvent) -> None:
        await self._closed_request("cancelled", event)

    # --- timers ---------------------------------------------------------------------------

    def _spawn(self, coroutine: Coroutine[object, object, None]) -> None:
        self._tasks.append(asyncio.ensure_future(coroutine))

    def _start_meter(self) -> None:
        if self._meter_task is None:
            self._meter_task = asyncio.ensure_future(self._run_meter_logged())
            self._tasks.append(self._meter_task)

    async def _request_timer(self) -> None:
        clock = timebase.current()
        await clock.sleep_until(self.meter.request_due(self.policy))
        if self.meter.status != Status.REQUESTED:
            return
        state = await db(hops.miss_state, self.consultation, clock.now())
        if state is not None and self.meter.status == Status.REQUESTED:  # `started` missed
            await self.consultation_started({"type": "consultation.started", "state": state})

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
        state = await db(hops.extend_state, self.consultation, timebase.current().now())
        if state is not None and int(state["paid_seconds"]) > before:
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
            logger.warning("prefetch of %s failed", self.consultation.pk, exc_info=True)

    async def _auto_topup(self) -> None:
        """The client's automatic top-up, if set, at a warning (beside the meter), against
        the booked balance less what this consultation used so far (the hold keeps the
        booked one unchanged to the end); the credit extends it via the wallet's signal."""
        now = timebase.current().now()
        used = min(self.meter.paid_seconds, math.floor(self.meter.metered(now)))
        spent = tariff_rate(seconds=used, tariff=self.consultation.tariff)
        try:
            await db(hops.auto_topup, self.consultation.client_id, spent)
        except Exception:
            logger.warning("auto top-up of %s failed", self.consultation.pk, exc_info=True)

    async def _cut_off(self, paid: int, at_second: float) -> None:
        """The exact second: both screens hear the end at once (the amount is the rating
        function's, exactly what settlement books), then the end is booked."""
        reason = Reason.MAX_DURATION if paid >= self.meter.max_duration_seconds else Reason.BALANCE
        state: EndedState = {
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
        event: EndEvent = {"type": "consultation.cutoff", "state": state}
        await self.channel_layer.group_send(self.group, event)
        await asyncio.shield(booking)

    async def _end(self, reason: str, at_second: float | None) -> None:
        # Shielded: a socket that closes right at the end (the browser got `ended` and
        # left) must not cancel the booking of that very end.
        await asyncio.shield(self._booking(reason, at_second))

    def _booking(self, reason: str, at_second: float | None) -> asyncio.Future[None]:
        """Book the end in a task of its own that outlives this socket."""
        return end_booking_start(
            consultation=self.consultation,
            reason=reason,
            at_second=at_second,
            now=timebase.current().now(),
        )

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
        """Carry out the schedule's steps (`consultations.meter`) until the end: wake at
        the next moment that matters or when the state changes."""
        clock = timebase.current()
        schedule = Schedule(role=self.role, policy=self.policy)
        tariff = self.consultation.tariff
        while self.meter.status == Status.LIVE:
            now = clock.now()
            step = schedule.step(self.meter, now)
            if step.action is Action.CHECK_PRESENCE:
                await self._refresh_beats()
                confirmed = schedule.presence_lost(self.meter, now)
                if confirmed is not None:
                    await self._end(Reason.TIMEOUT, confirmed)
                    return
                continue
            if step.action is Action.CUT_OFF:
                metrics.observe_cutoff_lateness(step.past_cut_seconds)
                if step.late_by is not None:
                    # An overloaded node shows here first (the booking is exact anyway).
                    logger.warning(
                        "cut-off of %s late by %.2f s", self.consultation.pk, step.late_by
                    )
                await self._cut_off(step.paid_seconds, step.at_second)
                return
            if step.prefetch:
                self._spawn(self._prefetch())
            if step.warnings and self.role == "client":
                self._spawn(self._auto_topup())
            for warning in step.warnings:
                await self.send_json(warning)
            if step.snapshot is not None:
                await self.send_json(self.meter.frame(step.snapshot, tariff))
            assert step.wake_at is not None
            await self._wait(step.wake_at)
