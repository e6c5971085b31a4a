"""Events of wallets for the layers above, which may not be imported from here.

`balance_credited` is sent after the commit of every credit that raised a client's
available balance (a confirmed top-up of any channel, a matched bank transfer, a
restored dispute or failed refund, bonus credit). Consultations listen to it to extend a
live consultation at once (connected in `ConsultationsConfig.ready`).

`receivable_settled` is sent after the commit of every credit that paid off (part of) what
a client owes (a debt payment, an instalment, a won dispute); collections listen to it to
tick off instalments and close a dunning case (connected in `CollectionsConfig.ready`).

Receivers get `client_account_id` (int). A failing receiver never breaks the credit:
the credit is committed before the signal is sent, receivers run through
`send_robust`, and their errors are logged.
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.dispatch import Signal

logger = logging.getLogger(__name__)

balance_credited = Signal()
receivable_settled = Signal()


def balance_credited_on_commit(*, client_account_id: int) -> None:
    """Send `balance_credited` for `client_account_id` once the current transaction
    commits (at once outside a transaction; never when it rolls back)."""
    transaction.on_commit(lambda: _send(client_account_id=client_account_id), robust=True)


def receivable_settled_on_commit(*, client_account_id: int) -> None:
    """Send `receivable_settled` for `client_account_id` once the transaction commits."""
    transaction.on_commit(
        lambda: _send(client_account_id=client_account_id, signal=receivable_settled),
        robust=True,
    )


def _send(*, client_account_id: int, signal: Signal = balance_credited) -> None:
    results = signal.send_robust(
        sender=balance_credited_on_commit, client_account_id=client_account_id
    )
    for receiver, result in results:
        if isinstance(result, Exception):
            logger.error(
                "balance_credited receiver %r failed for client account %s",
                receiver,
                client_account_id,
                exc_info=result,
            )
