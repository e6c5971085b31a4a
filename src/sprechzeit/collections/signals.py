"""After a credit paid off (part of) a client's debt (a debt payment, an instalment, a
won dispute) the client's dunning case ticks off what is paid and closes when nothing is
owed (`wallets.signals.receivable_settled`)."""

from __future__ import annotations

from typing import Any

from sprechzeit.wallets.signals import receivable_settled


def _on_credit(*, client_account_id: int, **_kwargs: Any) -> None:
    from sprechzeit.collections.services.dunning import dunning_refresh  # noqa: PLC0415

    dunning_refresh(client_account_id=client_account_id)


def connect() -> None:
    receivable_settled.connect(_on_credit, dispatch_uid="collections.dunning_refresh")
