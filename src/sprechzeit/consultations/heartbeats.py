"""Last confirmed heartbeats per consultation and role, kept in the cache (Redis in
production), not in the database: a consultation costs O(1) commits however long it
runs. The reaper reads them; without any, it falls back to the start."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Final

from django.core.cache import cache

from sprechzeit.consultations.protocol import ROLES

TTL_SECONDS: Final = 3 * 24 * 3600


def heartbeat_key(consultation_id: uuid.UUID | str, role: str) -> str:
    return f"sprechzeit:consultation:{consultation_id}:heartbeat:{role}"


def heartbeat_record(*, consultation_id: uuid.UUID | str, role: str, at: datetime) -> None:
    """Store one heartbeat (the sockets batch theirs: `realtime.beats`)."""
    heartbeats_record_many(stamps={heartbeat_key(consultation_id, role): at.timestamp()})


def heartbeats_record_many(*, stamps: dict[str, float]) -> None:
    """Store many heartbeats at once (`heartbeat_key` → POSIX timestamp): one pipelined
    round trip on Redis (`realtime.beats` batches a server process's sockets)."""
    cache.set_many(stamps, timeout=TTL_SECONDS)


def heartbeats_last_many(
    *, consultation_ids: Iterable[uuid.UUID | str]
) -> dict[str, dict[str, datetime]]:
    """The stored heartbeats of many consultations in one round trip (by id as text,
    then role; a side never stored is absent)."""
    ids = [str(consultation_id) for consultation_id in consultation_ids]
    keys = {heartbeat_key(cid, role): (cid, role) for cid in ids for role in ROLES}
    values = cache.get_many(list(keys))
    result: dict[str, dict[str, datetime]] = {cid: {} for cid in ids}
    for key, stamp in values.items():
        cid, role = keys[key]
        result[cid][role] = datetime.fromtimestamp(float(stamp), tz=UTC)
    return result


def heartbeats_last(*, consultation_id: uuid.UUID | str) -> dict[str, datetime]:
    """The stored heartbeats of one consultation (the reaper; sockets read in batches:
    `realtime.beats`)."""
    return heartbeats_last_many(consultation_ids=[consultation_id])[str(consultation_id)]
