"""The Celery app. With REDIS_URL (or CELERY_BROKER_URL) a worker and beat run the tasks;
without a broker, settings make every task run eagerly in-process (demo, tests)."""

from __future__ import annotations

import os

from celery import Celery
from celery.schedules import crontab

from sprechzeit.core.logs import celery_context_connect

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sprechzeit.config.settings")

app = Celery("sprechzeit")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# Every log line of a task names the task (and the consultation, where the task binds it).
celery_context_connect()

# Every recurring job of Sprechzeit, in one place. Each task is idempotent, so a missed
# or doubled beat does no harm.
app.conf.beat_schedule = {
    # Mails whose delivery task never ran (broker away at commit) are queued again.
    "notifications-mails-resend": {
        "task": "sprechzeit.notifications.tasks.mails_resend",
        "schedule": crontab(minute="*/10"),
    },
    "heartbeat": {"task": "sprechzeit.core.tasks.heartbeat", "schedule": crontab(minute="*")},
    # Last safety net for money held by consultations whose node died (see the reaper).
    "ledger-holds-expire": {"task": "sprechzeit.ledger.tasks.holds_expire_due", "schedule": 60.0},
    "ledger-hot-accounts-fold": {
        "task": "sprechzeit.ledger.tasks.hot_accounts_fold",
        "schedule": 30.0,
    },
    # Close consultations orphaned by a crashed node at their last confirmed heartbeat.
    "consultations-reap": {"task": "sprechzeit.consultations.tasks.reap", "schedule": 15.0},
    "payments-inbox-retry": {
        "task": "sprechzeit.payments.tasks.inbox_retry_failed",
        "schedule": crontab(minute="*/5"),
    },
    # Period end (monthly, quarterly or half-monthly per legal entity): close every ended
    # period daily (a closed one is a no-op), render PDFs, then pay out on the 2nd and 17th.
    "statements-close": {
        "task": "sprechzeit.statements.tasks.statements_close_due",
        "schedule": crontab(minute=30, hour=2),
    },
    "statements-render-pdfs": {
        "task": "sprechzeit.statements.tasks.statements_render_pdfs",
        "schedule": crontab(minute="*/10"),
    },
    "statements-release-held": {
        "task": "sprechzeit.statements.tasks.statements_release_held",
        "schedule": crontab(minute=15, hour="*/6"),
    },
    # Month end of accounting: § 17 corrections and the business clients' invoices.
    "accounting-month-end": {
        "task": "sprechzeit.accounting.tasks.month_end",
        "schedule": crontab(minute=0, hour=4, day_of_month=1),
    },
    # The full replay of the ledger, nightly after the period close; a failure is logged as
    # an error and shows in /metrics (sprechzeit_ledger_check_ok 0) for the alert.
    "ledger-check-nightly": {
        "task": "sprechzeit.ledger.tasks.ledger_check_nightly",
        "schedule": crontab(minute=30, hour=3),
    },
    # Dunning: reminders on their day, instalment plans followed, write-offs (daily).
    "collections-dunning-run": {
        "task": "sprechzeit.collections.tasks.dunning_run_due",
        "schedule": crontab(minute=0, hour=9),
    },
    "payouts-run": {
        "task": "sprechzeit.payouts.tasks.payout_runs_create",
        "schedule": crontab(minute=0, hour=6, day_of_month="2,17"),
    },
}
