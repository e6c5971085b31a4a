from __future__ import annotations

from celery import shared_task
from django.core.cache import cache

from sprechzeit.core import clock

HEARTBEAT_KEY = "sprechzeit:celery:heartbeat"


@shared_task(name="sprechzeit.core.tasks.heartbeat")
def heartbeat() -> str:
    """Beat's pulse: records when a worker last ran a scheduled task (ops can alert on it)."""
    stamp = clock.now().isoformat()
    cache.set(HEARTBEAT_KEY, stamp, timeout=None)
    return stamp
