"""The Celery app. With REDIS_URL (or CELERY_BROKER_URL) a worker and beat run the tasks;
without a broker, settings make every task run eagerly in-process (demo, tests)."""

from __future__ import annotations

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sprechzeit.config.settings")

app = Celery("sprechzeit")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

app.conf.beat_schedule = {
    "heartbeat": {"task": "sprechzeit.core.tasks.heartbeat", "schedule": crontab(minute="*")},
}
