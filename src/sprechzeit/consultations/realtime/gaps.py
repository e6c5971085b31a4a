"""A side's connection lost and back (its server process died, the network dropped): the
seconds between its last stored heartbeat and its return are not billed
(`services.metering.consultation_outage_record`); the room hears `reconnected`."""

from __future__ import annotations

import logging

from sprechzeit.consultations.models import Consultation
from sprechzeit.consultations.protocol import (
    MeterState,
    ReconnectedEvent,
    ReconnectedFrame,
    Role,
)
from sprechzeit.consultations.realtime import timebase
from sprechzeit.consultations.realtime.base import db
from sprechzeit.consultations.realtime.beats import heartbeat_write_now, heartbeats_seen
from sprechzeit.consultations.selectors import meter_state
from sprechzeit.consultations.services.metering import (
    OUTAGE_MIN_SECONDS,
    consultation_outage_record,
)

logger = logging.getLogger(__name__)


async def state_after_gap(consultation: Consultation, role: Role, state: MeterState) -> MeterState:
    """This side's socket (re)connects to a live consultation: if its last stored
    heartbeat lies back, the gap is recorded (the room, this socket too, hears
    `reconnected` after `hello`). Returns the meter state to start from."""
    now = timebase.current().now()
    since = (await heartbeats_seen(consultation_id=consultation.pk)).get(role)
    if since is None or (now - since).total_seconds() < OUTAGE_MIN_SECONDS:
        return state
    fresh, gap = await db(
        consultation_outage_record, consultation=consultation, role=role, since=since, now=now
    )
    if not gap:
        return state
    logger.info(
        "consultation %s: %s back after %.1f s, not billed", fresh.pk, role, gap.total_seconds()
    )
    return await db(meter_state, fresh)


async def heartbeat_at_close(consultation: Consultation, role: Role) -> None:
    """A clean close of a live consultation's socket: this side was present until now,
    so a gap on its return counts from here, not from its last stored heartbeat."""
    try:
        await heartbeat_write_now(
            consultation_id=consultation.pk,
            role=role,
            at=timebase.current().now(),
        )
    except Exception:
        # The store (Redis) is away: the gap then counts from the last stored heartbeat.
        logger.warning("heartbeat of %s at close not stored", consultation.pk, exc_info=True)


def reconnected_frame(event: ReconnectedEvent) -> ReconnectedFrame:
    return {
        "type": "reconnected",
        "role": event["role"],
        "gap_started_at": event["gap_started_at"],
        "gap_seconds": event["gap_seconds"],
        "state": event["state"],
    }
