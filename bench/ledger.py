"""Ledger benchmark on PostgreSQL: pgbench TPC-B baseline, single transfers, batch path.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sprechzeit python bench/ledger.py

All three run against the same server in one go:

1. pgbench TPC-B on scratch databases at scale = clients (the baseline, `pgbench_tps`:
   no single hot branch row) and at scale 1 (`pgbench_s1_tps`, for history),
   `pgbench -c 8 -j 2 -T <seconds>`;
2. single transfers: 8 client processes, each booking `transfer_post` one at a time,
   client wallet → the hot platform revenue account (the shape of a consultation charge);
   on PostgreSQL one statement each (`ledger_book_one`, ledger migration 0005);
3. the batch path: `transfers_post_linked` with batches of 10,000 transfers (wallet →
   partner payable, revenue, VAT), each batch client on its own slice of the wallets and
   partner payables.

The four phases run back to back in each of `--rounds` rounds (default 3); the result is
the median over rounds of each figure and of each round's ratios, with the load average
before and after each round (the machine may be shared). Figures and ratios are printed
and written to bench/results/ledger.json. The ledger runs
in its own scratch database (`<name>_bench_ledger`), created afresh and dropped after.
Options: --seconds N (per phase, default 15), --clients N (default 8), --rounds N.

Django is set up only once the scratch database exists, so Django and Sprechzeit imports
sit inside the functions that run after that (hence the PLC0415 waivers).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from common import admin_sql, with_database

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "ledger.json"
BATCH_SIZE = 10_000
WALLETS = 2_000


def ensure_pgbench() -> str:
    found = shutil.which("pgbench")
    if found:
        return found
    print("pgbench not found; installing postgresql-client with apt-get …")
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    subprocess.run([*sudo, "apt-get", "update", "-qq"], check=True)
    subprocess.run(
        [*sudo, "apt-get", "install", "-y", "-qq", "postgresql-client"],
        check=True,
        env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
    )
    found = shutil.which("pgbench")
    if not found:
        sys.exit("pgbench is still missing after installing postgresql-client")
    return found


def recreate(url: str, name: str) -> None:
    admin_sql(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin_sql(url, f'CREATE DATABASE "{name}"')


def _pgbench_base(url: str) -> tuple[list[str], dict[str, str]]:
    pgbench = ensure_pgbench()
    parts = urlparse(url)
    env = {**os.environ}
    if parts.password:
        env["PGPASSWORD"] = parts.password
    base = [
        pgbench,
        "-h",
        parts.hostname or "127.0.0.1",
        "-p",
        str(parts.port or 5432),
        "-U",
        parts.username or "postgres",
    ]
    return base, env


def pgbench_init(url: str, name: str, scale: int) -> None:
    """A scratch TPC-B database at `scale` (one branch row per scale unit)."""
    recreate(url, name)
    base, env = _pgbench_base(url)
    subprocess.run(
        [*base, "-i", "-q", "-s", str(scale), name], check=True, env=env, capture_output=True
    )


def pgbench_tps(url: str, name: str, seconds: int, clients: int) -> float:
    base, env = _pgbench_base(url)
    out = subprocess.run(
        [*base, "-c", str(clients), "-j", "2", "-T", str(seconds), name],
        check=True,
        env=env,
        capture_output=True,
        text=True,
    ).stdout
    match = re.search(r"tps = ([0-9.]+)", out)
    if not match:
        sys.exit(f"could not read pgbench's tps from:\n{out}")
    return float(match.group(1))


def django_setup(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("SPRECHZEIT_MODE", "test")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sprechzeit.config.settings")
    import django  # noqa: PLC0415

    django.setup()


def prepare_ledger() -> dict[str, Any]:
    """Migrate the scratch database and create funded accounts."""
    from django.core.management import call_command  # noqa: PLC0415

    from sprechzeit.core.money import Money  # noqa: PLC0415
    from sprechzeit.ledger import services  # noqa: PLC0415
    from sprechzeit.ledger.booking import TransferSpec  # noqa: PLC0415
    from sprechzeit.ledger.models import AccountPurpose  # noqa: PLC0415

    call_command("migrate", verbosity=0)
    provider = services.account_get_or_create(purpose=AccountPurpose.PROVIDER_CLEARING)
    revenue = services.account_get_or_create(purpose=AccountPurpose.PLATFORM_REVENUE)
    vat = services.account_get_or_create(purpose=AccountPurpose.OUTPUT_VAT)
    wallets = [
        services.account_get_or_create(
            purpose=AccountPurpose.CLIENT_WALLET, owner_type="bench.client", owner_id=str(n)
        ).pk
        for n in range(WALLETS)
    ]
    partners = [
        services.account_get_or_create(
            purpose=AccountPurpose.PARTNER_PAYABLE, owner_type="bench.partner", owner_id=str(n)
        ).pk
        for n in range(100)
    ]
    services.transfers_post_linked(
        transfers=[
            TransferSpec(
                id=uuid.uuid4(),
                debit_account=provider,
                credit_account=wallet,
                amount=Money(10**12),
                purpose="top_up",
            )
            for wallet in wallets
        ]
    )
    return {
        "wallets": wallets,
        "partners": partners,
        "revenue": revenue.pk,
        "vat": vat.pk,
    }


def _single_client(accounts: dict[str, Any], seconds: float, start: Any, queue: Any) -> None:
    import random  # noqa: PLC0415

    from django.db import connections  # noqa: PLC0415

    from sprechzeit.core.money import Money  # noqa: PLC0415
    from sprechzeit.ledger import services  # noqa: PLC0415
    from sprechzeit.ledger.models import Account  # noqa: PLC0415

    connections.close_all()
    rng = random.Random()
    wallets = list(Account.objects.filter(pk__in=accounts["wallets"]))
    revenue = Account.objects.get(pk=accounts["revenue"])
    start.wait()
    deadline = time.monotonic() + seconds
    done = 0
    while time.monotonic() < deadline:
        services.transfer_post(
            id=uuid.uuid4(),
            debit_account=rng.choice(wallets),
            credit_account=revenue,
            amount=Money(rng.randint(1, 500)),
            purpose="consultation_charge",
        )
        done += 1
    queue.put(done)


def single_tps(accounts: dict[str, Any], seconds: float, clients: int) -> float:
    from django.db import connections  # noqa: PLC0415

    connections.close_all()
    context = multiprocessing.get_context("fork")
    start = context.Barrier(clients + 1)
    queue = context.Queue()
    workers = [
        context.Process(target=_single_client, args=(accounts, seconds, start, queue))
        for _ in range(clients)
    ]
    for worker in workers:
        worker.start()
    start.wait()
    began = time.monotonic()
    total = sum(queue.get(timeout=seconds + 120) for _ in workers)
    elapsed = time.monotonic() - began
    for worker in workers:
        worker.join()
    return total / elapsed


def _batch_client(
    accounts: dict[str, Any], seconds: float, start: Any, queue: Any, index: int, clients: int
) -> None:
    import random  # noqa: PLC0415

    from django.db import connections  # noqa: PLC0415

    from sprechzeit.core.money import Money  # noqa: PLC0415
    from sprechzeit.ledger import services  # noqa: PLC0415
    from sprechzeit.ledger.booking import TransferSpec  # noqa: PLC0415

    connections.close_all()
    rng = random.Random()
    # Each client books its own slice of the wallets and partners, as sharded settlement
    # workers would: batches over disjoint accounts share no row lock (the hot revenue
    # and VAT accounts take deltas, never locks).
    wallets = accounts["wallets"][index::clients]
    partners = accounts["partners"][index::clients]
    revenue, vat = accounts["revenue"], accounts["vat"]
    start.wait()
    deadline = time.monotonic() + seconds
    done = 0
    while time.monotonic() < deadline:
        specs = []
        # One consultation's postings: wallet → partner share, revenue and VAT.
        for _ in range(BATCH_SIZE // 3 + 1):
            wallet = rng.choice(wallets)
            reference = f"consultation:{uuid.uuid4()}"
            for credit, amount in (
                (rng.choice(partners), rng.randint(100, 5000)),
                (revenue, rng.randint(50, 2000)),
                (vat, rng.randint(10, 900)),
            ):
                specs.append(
                    TransferSpec(
                        id=uuid.uuid4(),
                        debit_account=wallet,
                        credit_account=credit,
                        amount=Money(amount),
                        purpose="consultation_charge",
                        reference=reference,
                    )
                )
        services.transfers_post_linked(transfers=specs[:BATCH_SIZE])
        done += BATCH_SIZE
    queue.put(done)


def batch_tps(accounts: dict[str, Any], seconds: float, clients: int) -> float:
    from django.db import connections  # noqa: PLC0415

    connections.close_all()
    context = multiprocessing.get_context("fork")
    start = context.Barrier(clients + 1)
    queue = context.Queue()
    workers = [
        context.Process(
            target=_batch_client, args=(accounts, seconds, start, queue, index, clients)
        )
        for index in range(clients)
    ]
    for worker in workers:
        worker.start()
    start.wait()
    began = time.monotonic()
    total = sum(queue.get(timeout=seconds + 300) for _ in workers)
    elapsed = time.monotonic() - began
    for worker in workers:
        worker.join()
    return total / elapsed


def check_ledger() -> bool:
    from sprechzeit.ledger import services  # noqa: PLC0415
    from sprechzeit.ledger.check import ledger_check  # noqa: PLC0415

    services.hot_accounts_fold()
    report = ledger_check()
    print(report.render())
    return report.ok


def loadavg() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--batch-clients", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        sys.exit("Set DATABASE_URL to a PostgreSQL server (postgres://user@host:port/db).")
    base_name = urlparse(url).path.lstrip("/") or "sprechzeit"
    # TPC-B at a scale of at least the number of clients: no single hot branch row, the
    # machine's durable-commit limit. Scale 1 (all clients on one branch row) for history.
    scale = args.clients
    pg_db, pg1_db = f"{base_name}_bench_pgbench", f"{base_name}_bench_pgbench_s1"
    print(f"pgbench -i at scale {scale} and at scale 1 …", flush=True)
    pgbench_init(url, pg_db, scale)
    pgbench_init(url, pg1_db, 1)

    ledger_db = f"{base_name}_bench_ledger"
    recreate(url, ledger_db)
    django_setup(with_database(url, ledger_db))
    accounts = prepare_ledger()

    rounds: list[dict[str, Any]] = []
    for number in range(1, args.rounds + 1):
        # One round = the four phases back to back, so each round's ratios compare
        # figures taken under the same load of the shared machine.
        load = loadavg()
        pg = pgbench_tps(url, pg_db, args.seconds, args.clients)
        pg1 = pgbench_tps(url, pg1_db, args.seconds, args.clients)
        single = single_tps(accounts, args.seconds, args.clients)
        batch = batch_tps(accounts, args.seconds, args.batch_clients)
        one = {
            "round": number,
            "loadavg_before": load,
            "pgbench_tps": round(pg, 1),
            "pgbench_s1_tps": round(pg1, 1),
            "single_tps": round(single, 1),
            "batch_tps": round(batch, 1),
            "single_ratio": round(single / pg, 3),
            "batch_ratio": round(batch / pg, 3),
            "loadavg_after": loadavg(),
        }
        print(json.dumps(one), flush=True)
        rounds.append(one)

    sound = check_ledger()
    from django.db import connections  # noqa: PLC0415

    connections.close_all()
    for name in (ledger_db, pg_db, pg1_db):
        admin_sql(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def median(key: str) -> float:
        return float(statistics.median(one[key] for one in rounds))

    result = {
        "pgbench_tps": median("pgbench_tps"),
        "pgbench_scale": scale,
        "pgbench_s1_tps": median("pgbench_s1_tps"),
        "single_tps": median("single_tps"),
        "batch_tps": median("batch_tps"),
        # Medians of the per-round ratios (each round's phases ran back to back).
        "single_ratio": median("single_ratio"),
        "batch_ratio": median("batch_ratio"),
        "single_path": "one statement (ledger_book_one), autocommit",
        "clients": args.clients,
        "batch_clients": args.batch_clients,
        "batch_size": BATCH_SIZE,
        "seconds": args.seconds,
        "cpus": os.cpu_count(),
        "loadavg": loadavg(),
        "rounds": rounds,
        "ledger_check_ok": sound,
        "measured_at": datetime.now(tz=UTC).isoformat(timespec="seconds"),
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    print(f"written to {RESULTS.relative_to(ROOT)}")
    if not sound:
        sys.exit(1)


if __name__ == "__main__":
    main()
