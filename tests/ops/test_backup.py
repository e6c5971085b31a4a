"""Backup and restore as docs/operations.md prescribes: a database with a simulated month
is dumped with `pg_dump -Fc`, restored with `pg_restore` into a new database, and the
restored ledger passes `sprechzeit ledger check` with the same trial balance."""

from __future__ import annotations

import os
import re
import secrets
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from django.conf import settings

BIN = Path(sys.executable).parent


def server() -> dict[str, str]:
    database = settings.DATABASES["default"]
    return {
        "host": str(database.get("HOST") or "127.0.0.1"),
        "port": str(database.get("PORT") or "5432"),
        "user": str(database.get("USER") or "postgres"),
    }


def admin(sql: str) -> str:
    """Run one statement on the server's maintenance database; the first value back."""
    with psycopg.connect(dbname="postgres", autocommit=True, **server()) as conn:  # type: ignore[arg-type]
        cursor = conn.execute(sql)
        row = cursor.fetchone() if cursor.description is not None else None
        return "" if row is None else str(row[0])


def client_tool(name: str) -> str:
    """pg_dump / pg_restore of the server's own major version: a newer server refuses an
    older pg_dump, and an older pg_restore cannot read a newer dump."""
    major = int(admin("SHOW server_version_num")) // 10000
    candidates = [Path(f"/usr/lib/postgresql/{major}/bin/{name}")]
    on_path = shutil.which(name)
    if on_path:
        candidates.append(Path(on_path))
    for candidate in candidates:
        if candidate.exists():
            version = subprocess.run(
                [str(candidate), "--version"], capture_output=True, text=True, check=True
            ).stdout
            found = re.search(r"(\d+)\.", version)
            if found and int(found.group(1)) == major:
                return str(candidate)
    pytest.fail(f"no {name} of PostgreSQL {major} (install postgresql-client-{major})")


def url(dbname: str) -> str:
    s = server()
    return f"postgres://{s['user']}@{s['host']}:{s['port']}/{dbname}"


def sprechzeit(*args: str, dbname: str, timeout: float = 900) -> subprocess.CompletedProcess[str]:
    environment = {key: value for key, value in os.environ.items() if not key.startswith("PYTEST_")}
    environment.update({"SPRECHZEIT_MODE": "test", "DATABASE_URL": url(dbname)})
    return subprocess.run(
        [str(BIN / "sprechzeit"), *args],
        env=environment,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture
def databases() -> Iterator[tuple[str, str]]:
    """Two scratch databases on the server (the source and the restore), dropped after."""
    suffix = secrets.token_hex(4)
    names = (f"sz_ops_backup_{suffix}", f"sz_ops_restore_{suffix}")
    try:
        admin(f"CREATE DATABASE {names[0]}")
        yield names
    finally:
        for name in names:
            admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.mark.postgres
@pytest.mark.slow
def test_a_dump_restores_into_a_new_database_with_a_sound_identical_ledger(
    databases: tuple[str, str], tmp_path: Path
) -> None:
    source, restored = databases
    migrated = sprechzeit("migrate", "--verbosity", "0", dbname=source)
    assert migrated.returncode == 0, migrated.stderr
    # A month on two platforms: ~100 settled consultations, several hundred transfers.
    simulated = sprechzeit(
        "simulate", "--platforms", "2", "--partners", "4", "--clients", "8",
        "--days", "30", "--seed", "5", dbname=source,
    )  # fmt: skip
    assert simulated.returncode == 0, simulated.stderr
    assert "ledger=OK" in simulated.stdout

    dump = tmp_path / "sprechzeit.dump"
    s = server()
    connection = ["--host", s["host"], "--port", s["port"], "--username", s["user"]]
    subprocess.run(
        [client_tool("pg_dump"), *connection, "--format=custom", "--file", str(dump), source],
        check=True,
        timeout=600,
    )
    admin(f"CREATE DATABASE {restored}")
    subprocess.run(
        [
            client_tool("pg_restore"), *connection, "--dbname", restored,
            "--no-owner", "--exit-on-error", str(dump),
        ],
        check=True,
        timeout=600,
    )  # fmt: skip

    checked = sprechzeit("ledger", "check", dbname=restored)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "RESULT: OK" in checked.stdout
    original = sprechzeit("ledger", "trial-balance", dbname=source)
    copy = sprechzeit("ledger", "trial-balance", dbname=restored)
    assert original.returncode == copy.returncode == 0, copy.stderr
    assert copy.stdout == original.stdout
    assert "balanced" in copy.stdout
    transfers = re.search(r"(\d+) transfers replayed", checked.stdout)
    assert transfers is not None
    assert int(transfers.group(1)) >= 300
