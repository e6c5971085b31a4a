"""Celery edges of the ledger: thin, idempotent, safe to run on any schedule."""

from __future__ import annotations

from celery import shared_task

from sprechzeit.ledger import services


@shared_task(name="sprechzeit.ledger.tasks.holds_expire_due")
def holds_expire_due(limit: int = 1000) -> int:
    """Release due holds (each expiry is booked once, whoever runs it)."""
    return len(services.holds_expire_due(limit=limit).expired)


@shared_task(name="sprechzeit.ledger.tasks.hot_accounts_fold")
def hot_accounts_fold() -> int:
    """Fold hot accounts' deltas into their counters; keeps balance reads cheap."""
    return services.hot_accounts_fold().deltas
