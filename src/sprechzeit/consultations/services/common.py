"""What the services of consultations share: the moment they act at, the guard of a
transition, and the pushes to open screens (always after commit, `events`)."""

from __future__ import annotations

from datetime import datetime

from sprechzeit.accounts.models import Partner
from sprechzeit.consultations import events
from sprechzeit.consultations.errors import InvalidTransition
from sprechzeit.consultations.models import Consultation
from sprechzeit.consultations.protocol import EndEvent, EndSummary, StateEventType
from sprechzeit.consultations.selectors import ended_state, meter_state
from sprechzeit.core import clock


def moment_of(now: datetime | None) -> datetime:
    """The moment a service acts at: `now` when the caller drives time (the realtime
    edge, the simulator), else the clock."""
    return now if now is not None else clock.now()


def status_require(consultation: Consultation, *allowed: str) -> None:
    """`InvalidTransition` unless the consultation is in one of the `allowed` states."""
    if consultation.status not in allowed:
        raise InvalidTransition(status=consultation.status, allowed=list(allowed))


def consultation_state_push(consultation: Consultation, event_type: StateEventType) -> None:
    """After commit: the room hears the new meter state, the partner's request channel
    that the request is no longer open."""
    events.send_on_commit(
        events.consultation_group(consultation.pk),
        {"type": event_type, "state": meter_state(consultation)},
    )
    _request_closed_push(consultation)


def consultation_ended_push(consultation: Consultation) -> None:
    """After commit: the room hears the booked end (`settled` after a cut-off's
    announcement), the partner's request channel that it is closed."""
    from sprechzeit.consultations.services.summary import consultation_summary  # noqa: PLC0415

    # Both summaries are read here, inside the settlement's transaction (the rooms would
    # otherwise each read them in a transaction of their own).
    summaries: dict[str, EndSummary | None] = {
        role: consultation_summary(consultation=consultation, role=role)
        for role in ("client", "partner")
    }
    event: EndEvent = {
        "type": "consultation.ended",
        "state": ended_state(consultation),
        "summaries": summaries,
    }
    events.send_on_commit(events.consultation_group(consultation.pk), event)
    _request_closed_push(consultation)


def _request_closed_push(consultation: Consultation) -> None:
    events.send_on_commit(
        events.partner_group(consultation.partner_id),
        {
            "type": "request.closed",
            "consultation": str(consultation.pk),
            "status": consultation.status,
        },
    )


def partner_presence_push(partner: Partner) -> None:
    """After commit: directory pages of every platform the partner is listed on look
    again (online, busy, offline)."""
    for platform_id in partner.listings.values_list("platform_id", flat=True):
        events.send_on_commit(
            events.presence_group(platform_id),
            {"type": "presence.changed", "partner": partner.pk},
        )
