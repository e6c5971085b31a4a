"""What the benchmarks share: scratch databases, the server's processes, percentiles, and
settled consultations created in bulk. Imported as `common` (the benchmarks run as
scripts, with bench/ first on the path); Django parts are imported inside the functions,
after the benchmark has set Django up."""

from __future__ import annotations

import math
import os
import socket
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlparse, urlunparse

VAT_RATE = Decimal("19.00")
REVENUE_SHARE = Decimal("50.00")


def with_database(url: str, name: str) -> str:
    """`url` with its database replaced by `name`."""
    return urlunparse(urlparse(url)._replace(path="/" + name))


def scratch_name(url: str, suffix: str) -> str:
    """The benchmark's scratch database: the name of `url`'s database + `suffix`."""
    return (urlparse(url).path.lstrip("/") or "sprechzeit") + suffix


def admin_sql(url: str, statement: str) -> None:
    """One statement on the server's `postgres` database, in autocommit (CREATE/DROP
    DATABASE)."""
    import psycopg  # noqa: PLC0415

    with psycopg.connect(with_database(url, "postgres"), autocommit=True) as conn:
        conn.execute(statement)  # type: ignore[arg-type]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def cpu_seconds(pid: int) -> float:
    """CPU time of a server: the process and its child processes (uvicorn's workers)."""
    ticks = 0
    for one in (pid, *children(pid)):
        try:
            fields = Path(f"/proc/{one}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(child) for child in path.read_text().split()] if path.exists() else []


def loadavg() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile (`fraction` 0.99 for p99)."""
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, math.ceil(fraction * len(ordered)) - 1))
    return ordered[index]


def settled_consultation(
    *, seconds: int, rate_minor: int, split: Any, started_at: datetime, **fields: Any
) -> Any:
    """An unsaved Consultation settled as `consultation_end` would leave it (billed per
    second, `split` from `billing.split_amount` with VAT_RATE and REVENUE_SHARE), for
    `bulk_create`; `fields` name the people, the platform, the listing and whatever else
    differs. The ledger's side is the caller's (a batch of transfers)."""
    from sprechzeit.consultations.models import Consultation  # noqa: PLC0415

    ended_at = started_at + timedelta(seconds=seconds)
    return Consultation(
        status=Consultation.Status.SETTLED,
        started_at=started_at,
        ended_at=ended_at,
        settled_at=ended_at,
        currency="EUR",
        rate_minor=rate_minor,
        increment_first_seconds=1,
        increment_next_seconds=1,
        grace_seconds=0,
        connect_fee_minor=0,
        vat_rate=VAT_RATE,
        revenue_share=REVENUE_SHARE,
        max_duration_seconds=7200,
        held_minor=split.gross.minor,
        paid_seconds=seconds,
        duration_seconds=seconds,
        billed_seconds=seconds,
        amount_minor=split.gross.minor,
        vat_minor=split.vat.minor,
        partner_share_minor=split.partner.minor,
        platform_share_minor=split.platform.minor,
        **fields,
    )


def operator_entity() -> Any:
    """The benchmark's operator (a `LegalEntity`): the seller on every platform it makes."""
    from sprechzeit.platforms.models import LegalEntity  # noqa: PLC0415

    return LegalEntity.objects.create(
        name="Bench Betreiber GmbH",
        street="Hauptstraße 5",
        postal_code="80331",
        city="München",
        vat_id="DE136695976",
        email="buchhaltung@bench.example",
        iban="DE89370400440532013000",
        bic="COBADEFF",
    )
