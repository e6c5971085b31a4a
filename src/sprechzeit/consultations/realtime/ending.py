"""The end as a room socket tells its browser: `ended` / `settled` with the summary once
the end is booked (the client's with the new balance and whether it may rate)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from sprechzeit.consultations.models import Consultation
from sprechzeit.consultations.protocol import EndedState, EndFrame, EndSummary, Role
from sprechzeit.consultations.realtime.base import db
from sprechzeit.consultations.selectors import consultation_by_id
from sprechzeit.consultations.services.summary import consultation_summary


def _summary(consultation_id: str, role: Role) -> EndSummary | None:
    return consultation_summary(consultation=consultation_by_id(consultation_id), role=role)


async def end_frame(
    kind: Literal["ended", "settled"],
    state: EndedState,
    *,
    role: Role,
    summaries: Mapping[str, EndSummary | None] | None = None,
) -> EndFrame:
    """The frame for `state`; a settled one carries the summary — the one the
    settlement's event brought along (`summaries`), else one read of the database in
    its thread — an announced cut-off (status `ended`) none yet."""
    summary = None
    if state["status"] == Consultation.Status.SETTLED:
        if summaries is not None and role in summaries:
            summary = summaries[role]
        else:
            summary = await db(_summary, state["consultation"], role)
    return {"type": kind, "state": state, "summary": summary}
