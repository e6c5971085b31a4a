"""The room socket's service calls that answer with what it pushes, each run as one
database hop (`realtime.base.db`): the service, then the state or summary the browsers
get."""

from __future__ import annotations

from datetime import datetime

from sprechzeit.consultations.models import Consultation
from sprechzeit.consultations.protocol import EndSummary, MeterState, Role
from sprechzeit.consultations.selectors import consultation_by_id, meter_state
from sprechzeit.consultations.services.metering import (
    consultation_extend,
    consultation_pause,
    consultation_resume,
)
from sprechzeit.consultations.services.summary import consultation_summary


def extend_state(consultation: Consultation, now: datetime) -> MeterState:
    return meter_state(consultation_extend(consultation=consultation, now=now))


def pause_state(consultation: Consultation, pause: bool, now: datetime) -> MeterState:
    service = consultation_pause if pause else consultation_resume
    return meter_state(service(consultation=consultation, client=consultation.client, now=now))


def summary(consultation_id: object, role: Role) -> EndSummary | None:
    return consultation_summary(consultation=consultation_by_id(str(consultation_id)), role=role)
