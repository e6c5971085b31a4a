"""Run by test_crash in a subprocess: book one large linked batch, to be SIGKILLed midway.

Imports wait for django.setup() (hence the PLC0415 waivers).

python -m sprechzeit.ledger.tests.crash_child <batch_id> <size> <wallet_id> <revenue_id> <partner_id>

With `single` in place of the batch id it books <size> single transfers one after another
(the one-statement path on PostgreSQL), to be SIGKILLed between or inside them.
"""

from __future__ import annotations

import os
import sys
import uuid


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sprechzeit.config.settings")
    import django  # noqa: PLC0415

    django.setup()
    from sprechzeit.core.money import Money  # noqa: PLC0415
    from sprechzeit.ledger import services  # noqa: PLC0415
    from sprechzeit.ledger.booking import TransferSpec  # noqa: PLC0415

    batch_id, size, wallet, revenue, partner = sys.argv[1:6]
    if batch_id == "single":
        print("booking", flush=True)  # noqa: T201
        for n in range(int(size)):
            services.transfer_post(
                id=uuid.uuid4(),
                debit_account=int(wallet),  # type: ignore[arg-type]
                credit_account=int(revenue if n % 2 else partner),  # type: ignore[arg-type]
                amount=Money(1),
                reference=f"crash:{n}",
            )
        return
    specs = [
        TransferSpec(
            id=uuid.uuid4(),
            debit_account=int(wallet),
            credit_account=int(revenue if n % 2 else partner),
            amount=Money(1),
            reference=f"crash:{n}",
        )
        for n in range(int(size))
    ]
    print("booking", flush=True)  # noqa: T201
    services.transfers_post_linked(transfers=specs, batch_id=uuid.UUID(batch_id))
    print("done", flush=True)  # noqa: T201


if __name__ == "__main__":
    main()
