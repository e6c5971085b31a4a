"""Celery tasks of consultations: thin edges that call one service."""

from __future__ import annotations

from celery import shared_task

from sprechzeit.consultations.services import consultations_reap


@shared_task(name="sprechzeit.consultations.tasks.reap")
def reap() -> dict[str, int]:
    """Beat's safety net (every minute): close orphaned requests and consultations."""
    result = consultations_reap()
    return {"missed": result.missed, "ended": result.ended, "settled": result.settled}
