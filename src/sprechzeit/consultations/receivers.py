"""Receivers of signals from the layers below (connected in `apps.ConsultationsConfig`)."""

from __future__ import annotations

import logging
from typing import Any

from sprechzeit.consultations.services import metering

logger = logging.getLogger(__name__)


def extend_after_credit(*, client_account_id: int, **_kwargs: Any) -> None:
    """`wallets.signals.balance_credited`: extend the client's live consultation(s).

    Runs after the credit has committed. It never raises: a failure is logged and the
    socket's own look for a top-up shortly before the cut-off is the fallback.
    """
    try:
        metering.consultations_extend_after_credit(client_account_id=client_account_id)
    except Exception:
        logger.exception(
            "extending the consultations of client account %s failed", client_account_id
        )
