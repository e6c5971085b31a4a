"""Database connections under ASGI: a pool per process, never one backend per request.

Under ASGI every HTTP request runs its view in a new thread; with connections kept per
thread (CONN_MAX_AGE > 0) each request left a PostgreSQL backend behind (43 backends
after 66 requests). The PostgreSQL test starts the real ASGI app in production mode and
counts the backends of its database under concurrent requests.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import psycopg
import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection

from sprechzeit.config.database import (
    DEFAULT_POOL_MAX_SIZE,
    pool_max_size,
    postgres_connection_settings,
)
from sprechzeit.config.env import Env

PRODUCTION = {"SPRECHZEIT_MODE": "production", "SECRET_KEY": "k" * 50}


def test_production_pools_connections_and_keeps_none_per_thread() -> None:
    chosen = postgres_connection_settings(Env.load(PRODUCTION))
    assert chosen["CONN_MAX_AGE"] == 0  # the pool requires it; kept connections leak
    assert chosen["OPTIONS"]["pool"]["max_size"] == DEFAULT_POOL_MAX_SIZE
    assert chosen["OPTIONS"]["pool"]["timeout"] == 20.0
    sized = Env.load({**PRODUCTION, "DB_POOL_MAX_SIZE": "4", "DB_POOL_TIMEOUT": "2.5"})
    assert postgres_connection_settings(sized)["OPTIONS"]["pool"] == {
        "min_size": 1,
        "max_size": 4,
        "timeout": 2.5,
    }


def test_tests_and_explicit_conn_max_age_run_without_a_pool() -> None:
    assert pool_max_size(Env.load({"SPRECHZEIT_MODE": "test"})) == 0
    assert postgres_connection_settings(Env.load({"SPRECHZEIT_MODE": "test"})) == {
        "CONN_MAX_AGE": 0
    }
    # The consultations benchmark's socket-only server keeps connections per thread.
    kept = Env.load({**PRODUCTION, "DB_CONN_MAX_AGE": "60"})
    assert postgres_connection_settings(kept) == {"CONN_MAX_AGE": 60, "CONN_HEALTH_CHECKS": True}
    off = Env.load({**PRODUCTION, "DB_POOL_MAX_SIZE": "0"})
    assert postgres_connection_settings(off) == {"CONN_MAX_AGE": 0}


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"DB_POOL_MAX_SIZE": "10", "DB_CONN_MAX_AGE": "60"}, "exclude each other"),
        ({"DB_POOL_MAX_SIZE": "ten"}, "DB_POOL_MAX_SIZE"),
        ({"DB_POOL_MAX_SIZE": "-1"}, "DB_POOL_MAX_SIZE"),
        ({"DB_POOL_TIMEOUT": "nan"}, "DB_POOL_TIMEOUT"),
        ({"DB_POOL_TIMEOUT": "0"}, "DB_POOL_TIMEOUT"),
        ({"DB_POOL_TIMEOUT": "soon"}, "DB_POOL_TIMEOUT"),
    ],
)
def test_bad_pool_variables_fail_clearly(variables: dict[str, str], message: str) -> None:
    with pytest.raises(ImproperlyConfigured, match=message):
        Env.load({**PRODUCTION, **variables})


# --- the real server ----------------------------------------------------------------

CONCURRENT = 60


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _database_url() -> str:
    db: dict[str, Any] = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or 5432
    return f"postgres://{db['USER']}{password}@{host}:{port}/{db['NAME']}"


@pytest.fixture
def production_server(tmp_path: Path) -> Iterator[str]:
    """uvicorn serving the ASGI app in production mode on the test database, with the
    production defaults for its connections (no DB_POOL_* or DB_CONN_MAX_AGE given)."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DB_", "PYTEST_", "REDIS_", "CELERY_"))
    }
    env.update(
        {
            **PRODUCTION,
            "ALLOWED_HOSTS": "127.0.0.1",
            "DATABASE_URL": _database_url(),
            "VAR_DIR": str(tmp_path),
            "DJANGO_SETTINGS_MODULE": "sprechzeit.config.settings",
        }
    )
    port = _free_port()
    log = (tmp_path / "server.log").open("w")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "sprechzeit.config.asgi:application",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"server did not start: {tmp_path / 'server.log'}") from None
                time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=20)
        log.close()


def _get(url: str) -> int:
    # The production server sits behind a TLS proxy that says so (SECURE_PROXY_SSL_HEADER).
    request = urllib.request.Request(url, headers={"X-Forwarded-Proto": "https"})  # noqa: S310 - our own loopback server
    with urllib.request.urlopen(request, timeout=120) as response:  # noqa: S310
        status: int = response.status
        return status


def _wave(url: str) -> list[int]:
    """CONCURRENT requests released at the same moment, each in its own thread."""
    barrier = threading.Barrier(CONCURRENT)

    def one(_index: int) -> int:
        barrier.wait()
        return _get(url)

    with ThreadPoolExecutor(max_workers=CONCURRENT) as pool:
        return list(pool.map(one, range(CONCURRENT)))


@pytest.mark.postgres
@pytest.mark.django_db
def test_concurrent_requests_hold_at_most_the_pool_of_backends(production_server: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (own_pid,) = cursor.fetchone()
    dbname = connection.settings_dict["NAME"]
    # Counted from a connection of its own in autocommit: inside a transaction PostgreSQL
    # shows a snapshot of pg_stat_activity taken at its first read.
    counter = psycopg.connect(_database_url().replace("postgres://", "postgresql://"))
    counter.autocommit = True

    def server_backends() -> int:
        row = counter.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND pid <> ALL(%s)",
            (dbname, [own_pid, counter.info.backend_pid]),
        ).fetchone()
        assert row is not None
        count: int = row[0]
        return count

    try:
        # The network's overview page reads the platforms on every request.
        page = f"{production_server}/"
        assert _get(page) == 200
        counts = []
        for _round in range(3):
            assert _wave(page) == [200] * CONCURRENT
            counts.append(server_backends())
        for _request in range(CONCURRENT):
            assert _get(page) == 200
        counts.append(server_backends())
    finally:
        counter.close()
    # 3 × 60 concurrent and 60 sequential requests: one leaked backend per request would
    # be 241; the pool holds at most its size, however many requests follow.
    assert 1 <= max(counts) <= DEFAULT_POOL_MAX_SIZE, counts
