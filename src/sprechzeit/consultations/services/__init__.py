"""Writes of consultations, one module per use case:

- `lifecycle`: request → accept → end (settled in the same transaction); decline, miss,
  cancel; a phone call's answer;
- `metering`: extension after a top-up, the meter pause, the cut-off, end and settlement;
- `presence`: a partner online or offline;
- `chat`, `ratings`, `summary` (what the room shows after the end);
- `reaper`: crash safety;
- `common`: the moment, the transition guard, the pushes to open screens.

The public names are re-exported here, so `from sprechzeit.consultations.services import
consultation_end` keeps working; the reads the services used to carry (`meter_state`,
`ended_state`, `cut_off_at`, `consultation_by_id`) live in `consultations.selectors`.
"""

from __future__ import annotations

from sprechzeit.consultations.selectors import (
    consultation_by_id,
    cut_off_at,
    ended_state,
    meter_state,
)
from sprechzeit.consultations.services.chat import MAX_MESSAGE_LENGTH, chat_message_create
from sprechzeit.consultations.services.lifecycle import (
    AcceptOutcome,
    consultation_accept,
    consultation_cancel,
    consultation_decline,
    consultation_end,
    consultation_miss,
    consultation_phone_answered,
    consultation_request,
)
from sprechzeit.consultations.services.metering import (
    consultation_cut_off,
    consultation_extend,
    consultation_outage_record,
    consultation_pause,
    consultation_resume,
    consultation_settle,
    consultations_extend_after_credit,
)
from sprechzeit.consultations.services.presence import presence_set
from sprechzeit.consultations.services.ratings import (
    MIN_RATED_PAID_SECONDS,
    rating_create,
    rating_set_hidden,
)
from sprechzeit.consultations.services.reaper import ReapResult, consultations_reap
from sprechzeit.consultations.services.summary import consultation_summary

__all__ = [
    "MAX_MESSAGE_LENGTH",
    "MIN_RATED_PAID_SECONDS",
    "AcceptOutcome",
    "ReapResult",
    "chat_message_create",
    "consultation_accept",
    "consultation_by_id",
    "consultation_cancel",
    "consultation_cut_off",
    "consultation_decline",
    "consultation_end",
    "consultation_extend",
    "consultation_miss",
    "consultation_outage_record",
    "consultation_pause",
    "consultation_phone_answered",
    "consultation_request",
    "consultation_resume",
    "consultation_settle",
    "consultation_summary",
    "consultations_extend_after_credit",
    "consultations_reap",
    "cut_off_at",
    "ended_state",
    "meter_state",
    "presence_set",
    "rating_create",
    "rating_set_hidden",
]
