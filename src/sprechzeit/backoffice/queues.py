"""What every work queue shows: an item's age and its SLA colour."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

type Sla = Literal["ok", "due", "late"]


def sla_colour(opened_at: datetime, *, now: datetime, sla: timedelta) -> Sla:
    """ "ok" in the first three quarters of the SLA, "due" in its last quarter, "late" after."""
    age = now - opened_at
    if age > sla:
        return "late"
    if age * 4 > sla * 3:
        return "due"
    return "ok"


def age_text(opened_at: datetime, *, now: datetime) -> str:
    """An age as "3 d 4 h", "5 h 12 min" or "7 min" (language-neutral units)."""
    minutes = max(0, int((now - opened_at).total_seconds() // 60))
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {mins} min"
    return f"{mins} min"
