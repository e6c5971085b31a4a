"""A process SIGKILLed in the middle of a linked batch leaves all of it or none of it."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from importlib import import_module
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection, connections

from sprechzeit.ledger.models import AccountPurpose, Transfer
from sprechzeit.ledger.tests.factories import account, funded_wallet, system
from sprechzeit.ledger.tests.helpers import assert_ledger_sound

SIZE = 40_000
insert_only = import_module("sprechzeit.ledger.migrations.0002_transfers_insert_only")


def _start_child(env: dict[str, str], batch_id: uuid.UUID, ids: list[int]) -> subprocess.Popen[str]:
    child = subprocess.Popen(
        [sys.executable, "-m", "sprechzeit.ledger.tests.crash_child", str(batch_id), str(SIZE)]
        + [str(pk) for pk in ids],
        env={**os.environ, **env, "SPRECHZEIT_MODE": "test"},
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "booking"
    return child


def _kill_when(child: subprocess.Popen[str], writing: object) -> None:
    """SIGKILL the child as soon as `writing()` says its batch is being written."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert child.poll() is None, "the batch finished before it could be killed"
        if writing():  # type: ignore[operator]
            break
        time.sleep(0.005)
    os.kill(child.pid, signal.SIGKILL)
    assert child.wait(timeout=30) == -signal.SIGKILL


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_sigkill_mid_batch_on_postgres_books_nothing_then_a_full_run_books_all() -> None:
    wallet = funded_wallet(10 * SIZE)
    ids = [
        wallet.pk,
        system(AccountPurpose.PLATFORM_REVENUE).pk,
        account(AccountPurpose.PARTNER_PAYABLE).pk,
    ]
    settings = connection.settings_dict
    url = (
        f"postgres://{settings['USER']}:{settings['PASSWORD'] or ''}@{settings['HOST']}:"
        f"{settings['PORT'] or 5432}/{settings['NAME']}"
    )
    connections.close_all()
    batch_id = uuid.uuid4()
    child = _start_child({"DATABASE_URL": url}, batch_id, ids)

    def writing() -> bool:
        # The child's session is inside its transaction, writing (COPY) or between statements.
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                " AND pid <> pg_backend_pid() AND (query LIKE 'COPY ledger_transfer%%'"
                " OR state = 'idle in transaction')"
            )
            return bool(cursor.fetchone()[0])

    _kill_when(child, writing)
    # The server notices the dead client and rolls its transaction back.
    deadline = time.monotonic() + 30
    while writing() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert Transfer.objects.filter(batch_id=batch_id).count() == 0
    assert_ledger_sound()

    full = uuid.uuid4()
    child = _start_child({"DATABASE_URL": url}, full, ids)
    assert child.wait(timeout=120) == 0
    assert Transfer.objects.filter(batch_id=full).count() == SIZE
    assert_ledger_sound()


@pytest.mark.django_db(transaction=True)  # sqlmigrate's schema editor needs no open transaction
def test_sigkill_mid_batch_on_sqlite_books_nothing(tmp_path: Path) -> None:
    if connection.vendor != "sqlite":
        pytest.skip("SQLite-only; the PostgreSQL pass runs the PostgreSQL crash test")
    database = tmp_path / "crash.sqlite3"
    env = {
        "DATABASE_URL": f"sqlite:///{database}",
        "SPRECHZEIT_MODE": "test",
        "DJANGO_SETTINGS_MODULE": "sprechzeit.config.settings",
    }
    # Only the ledger's tables, straight from its migrations (a full migrate costs seconds).
    schema = StringIO()
    call_command("sqlmigrate", "ledger", "0001_initial", stdout=schema)
    with sqlite3.connect(database) as db:
        db.execute("PRAGMA journal_mode=WAL")
        db.executescript(schema.getvalue())
        for statement in insert_only.SQLITE_FORWARD:
            db.execute(statement)
    with sqlite3.connect(database) as db:
        now = "2026-01-01 00:00:00"
        for pk, purpose, kind, hot in (
            (1, "client_wallet", "liability", 0),
            (2, "platform_revenue", "income", 1),
            (3, "partner_payable", "liability", 0),
            (4, "provider_clearing", "asset", 1),
        ):
            db.execute(
                "INSERT INTO ledger_account (id, currency, type, purpose, owner_type, owner_id,"
                " name, debits_must_not_exceed_credits, credits_must_not_exceed_debits, hot,"
                " closed, debits_pending, debits_posted, credits_pending, credits_posted,"
                " created_at) VALUES (?, 'EUR', ?, ?, '', '', '', 0, 0, ?, 0, 0, 0, 0, 0, ?)",
                (pk, kind, purpose, hot, now),
            )
    wal = Path(f"{database}-wal")
    batch_id = uuid.uuid4()
    child = _start_child(env, batch_id, [1, 2, 3])
    start_size = wal.stat().st_size if wal.exists() else 0
    # Uncommitted pages spill into the WAL while the batch is written; kill then.
    _kill_when(child, lambda: wal.exists() and wal.stat().st_size > start_size + 64 * 1024)
    with sqlite3.connect(database) as db:
        (count,) = db.execute(
            "SELECT count(*) FROM ledger_transfer WHERE batch_id = ?", (batch_id.hex,)
        ).fetchone()
        (counters,) = db.execute(
            "SELECT sum(debits_posted + credits_posted) FROM ledger_account"
        ).fetchone()
    assert count == 0
    assert counters == 0
    # The triggers are intact and the counters still equal the (empty) log.
    with sqlite3.connect(database) as db:
        triggers = {
            row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        }
    assert triggers == {"ledger_transfer_no_update", "ledger_transfer_no_delete"}
