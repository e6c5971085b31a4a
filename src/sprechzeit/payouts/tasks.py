"""Celery edges of payouts."""

from __future__ import annotations

from celery import shared_task

from sprechzeit.payouts import (
    errors,
    mails,  # noqa: F401 - registers its mail task for the worker
    services,
)
from sprechzeit.platforms.models import LegalEntity


@shared_task(name="sprechzeit.payouts.tasks.payout_runs_create")
def payout_runs_create() -> list[int]:
    """One run per issuing entity with something to pay; staff download the files."""
    runs = []
    for entity in LegalEntity.objects.order_by("pk"):
        try:
            runs.append(int(services.payout_run_create(legal_entity=entity).pk))
        except (errors.NothingToPay, errors.DebtorAccountMissing):
            continue
    return runs
