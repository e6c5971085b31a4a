"""After a credit to a client (a debt payment, an instalment, a won dispute) the
client's dunning case ticks off what is paid and closes when nothing is owed."""

from __future__ import annotations

from typing import Any

from sprechzeit.wallets.signals import balance_credited


def _on_credit(*, client_account_id: int, **_kwargs: Any) -> None:
    from sprechzeit.collections.services.dunning import dunning_refresh  # noqa: PLC0415

    dunning_refresh(client_account_id=client_account_id)


def connect() -> None:
    balance_credited.connect(_on_credit, dispatch_uid="collections.dunning_refresh")
