"""Last confirmed heartbeats per consultation and role, kept in the cache (Redis in
production), not in the database: a consultation costs O(1) commits however long it
runs. The reaper reads them; without any, it falls back to the start."""

from __future__ import annotations

import uuid
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


def heartbeats_last(*, consultation_id: uuid.UUID | str) -> dict[str, datetime]:
    values = cache.get_many([heartbeat_key(consultation_id, role) for role in ROLES])
    result: dict[str, datetime] = {}
    for role in ROLES:
        stamp = values.get(heartbeat_key(consultation_id, role))
        if stamp is not None:
            result[role] = datetime.fromtimestamp(float(stamp), tz=UTC)
    return result
