"""Celery tasks of consultations: thin edges that call one service."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from celery import shared_task
from django.db import OperationalError

from sprechzeit.consultations import mails  # noqa: F401 - registers its mail task for the worker
from sprechzeit.consultations.selectors import consultation_by_id
from sprechzeit.consultations.services.burst import EndRequest, consultations_end_many
from sprechzeit.consultations.services.lifecycle import consultation_end
from sprechzeit.consultations.services.reaper import consultations_reap
from sprechzeit.consultations.telephony import cutoff


@shared_task(name="sprechzeit.consultations.tasks.reap")
def reap() -> dict[str, int]:
    """Beat's safety net (every minute): cut off overdue phone calls, close orphaned
    requests and consultations."""
    hung_up = cutoff.phone_calls_reap()
    result = consultations_reap()
    return {
        "missed": result.missed,
        "ended": result.ended,
        "settled": result.settled,
        "hung_up": hung_up,
    }


@shared_task(name="sprechzeit.consultations.tasks.phone_cut_off")
def phone_cut_off(consultation_id: str) -> str:
    """At the paid end of a phone consultation: re-check, and either run again at the
    new paid end (extended), hang up (REST), or do nothing (ended)."""
    outcome = cutoff.phone_cut_off_check(consultation_id=consultation_id)
    if outcome.next_at is not None:
        phone_cut_off_schedule(consultation_id=consultation_id, at=outcome.next_at)
    return outcome.action


def server_cut_off_available() -> bool:
    """A worker runs scheduled tasks (not in the demo and tests, where tasks run
    eagerly in-process and an ETA cannot be kept)."""
    return not phone_cut_off.app.conf.task_always_eager


def phone_cut_off_schedule(*, consultation_id: uuid.UUID | str, at: datetime) -> bool:
    """Schedule `phone_cut_off` for `at`. Returns False (nothing scheduled) without a
    worker."""
    if not server_cut_off_available():
        return False
    phone_cut_off.apply_async(args=(str(consultation_id),), eta=at)
    return True


@shared_task(
    name="sprechzeit.consultations.tasks.end",
    acks_late=True,
    # A database that is briefly away: try again (the reaper is the last resort).
    autoretry_for=(OperationalError,),
    retry_backoff=2,
    retry_backoff_max=60,
    max_retries=20,
)
def end(consultation_id: str, reason: str, at_second: float | None, now: str) -> str:
    """Book the end of a consultation that a socket has already announced (the cut-off,
    a timeout, a side's `end`): on a worker, so the settlement's database work does not
    compete with the event loop that keeps the other consultations' cut-offs on time.
    `now` is the moment the socket ended it, so a queue delay never adds billed time.
    Idempotent (`consultation_end`): a redelivered task books nothing twice."""
    consultation = consultation_end(
        consultation=consultation_by_id(consultation_id),
        reason=reason,
        at_second=at_second,
        now=datetime.fromisoformat(now),
    )
    return str(consultation.status)


def end_enqueue(
    *, consultation_id: uuid.UUID | str, reason: str, at_second: float | None, now: datetime
) -> bool:
    """Queue `end` for a worker. False (nothing queued) without a worker: the caller
    books in-process then."""
    if not server_cut_off_available():
        return False
    end.apply_async(args=(str(consultation_id), reason, at_second, now.isoformat()))
    return True


@shared_task(
    name="sprechzeit.consultations.tasks.ends",
    acks_late=True,
    autoretry_for=(OperationalError,),
    retry_backoff=2,
    retry_backoff_max=60,
    max_retries=20,
)
def ends(items: list[list[Any]]) -> int:
    """A burst of announced ends (`end`'s arguments each), booked in one transaction
    (`services.burst`). Idempotent: a redelivered burst books nothing twice."""
    return consultations_end_many(
        ends=[
            EndRequest(
                consultation_id=str(consultation_id),
                reason=str(reason),
                at_second=None if at_second is None else float(at_second),
                now=datetime.fromisoformat(str(now)),
            )
            for consultation_id, reason, at_second, now in items
        ]
    )


def ends_enqueue(*, items: list[tuple[str, str, float | None, str]]) -> bool:
    """Queue one `ends` task for a burst. False (nothing queued) without a worker."""
    if not server_cut_off_available():
        return False
    ends.apply_async(args=([list(item) for item in items],))
    return True
