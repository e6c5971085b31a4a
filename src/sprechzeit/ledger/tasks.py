"""Celery edges of the ledger: thin, idempotent, safe to run on any schedule."""

from __future__ import annotations

import logging

from celery import shared_task

from sprechzeit.core import metrics
from sprechzeit.ledger import services
from sprechzeit.ledger.check import ledger_check

logger = logging.getLogger(__name__)


@shared_task(name="sprechzeit.ledger.tasks.holds_expire_due")
def holds_expire_due(limit: int = 1000) -> int:
    """Release due holds (each expiry is booked once, whoever runs it)."""
    return len(services.holds_expire_due(limit=limit).expired)


@shared_task(name="sprechzeit.ledger.tasks.hot_accounts_fold")
def hot_accounts_fold() -> int:
    """Fold hot accounts' deltas into their counters; keeps balance reads cheap."""
    return services.hot_accounts_fold().deltas


@shared_task(name="sprechzeit.ledger.tasks.ledger_check_nightly")
def ledger_check_nightly() -> bool:
    """`sprechzeit ledger check` on a schedule: replays the whole log (read-only). A
    violation is logged as an error (and so reported to Sentry) and recorded for the
    `sprechzeit_ledger_check_ok` alert; returns whether the ledger is sound."""
    report = ledger_check()
    metrics.ledger_check_record(ok=report.ok, violations=len(report.violations))
    if not report.ok:
        logger.error(
            "ledger check failed: %d violation(s); run `sprechzeit ledger check` for the report",
            len(report.violations),
            extra={"violations": report.violations[:20]},
        )
    return report.ok
