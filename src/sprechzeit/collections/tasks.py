"""The periodic dunning run (beat: daily). A misconfigured plan fails the task loudly:
the error is logged and raised, nothing is sent or booked."""

from __future__ import annotations

import logging

from celery import shared_task

from sprechzeit.collections.errors import DunningMisconfigured
from sprechzeit.collections.services.dunning import dunning_run

logger = logging.getLogger(__name__)


@shared_task(name="sprechzeit.collections.tasks.dunning_run_due")
def dunning_run_due() -> str:
    try:
        result = dunning_run()
    except DunningMisconfigured as exc:
        logger.error("dunning run refused: %s", exc.message)
        raise
    return result.render()
