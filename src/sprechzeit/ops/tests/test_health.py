"""/healthz and /readyz: reachable on any host without session or CSRF; /readyz names
each dependency and answers 503, naming it, when one fails."""

from __future__ import annotations

import os
import socket
from pathlib import Path
from typing import Any

import pytest
from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.migrations.executor import MigrationExecutor
from django.db.utils import load_backend
from django.test import Client

from sprechzeit.ops import readiness

REDIS_URL = os.environ.get("OPS_TEST_REDIS_URL", "redis://127.0.0.1:6379/12")


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def database(settings_dict: dict[str, Any]) -> BaseDatabaseWrapper:
    """A connection of its own to another database (Django fills in the defaults)."""
    alias = "ops-readiness"
    configured = connections.configure_settings({"default": settings_dict})["default"]
    wrapper: BaseDatabaseWrapper = load_backend(configured["ENGINE"]).DatabaseWrapper(
        configured, alias
    )
    return wrapper


@pytest.fixture
def strict_host(settings: Any) -> None:
    """Production-like: one allowed host, HTTPS redirect on."""
    settings.ALLOWED_HOSTS = ["coaching-profis.de"]
    settings.SECURE_SSL_REDIRECT = True


@pytest.fixture(autouse=True)
def _forget_migrated() -> None:
    readiness._migrated.clear()


@pytest.mark.usefixtures("strict_host")
def test_healthz_answers_on_any_host_over_plain_http_without_a_session(client: Client) -> None:
    response = client.get("/healthz", HTTP_HOST="10.20.30.40:8000")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response["Cache-Control"] == "no-store"
    assert not response.cookies
    assert "Vary" not in response


@pytest.mark.usefixtures("strict_host")
def test_the_ordinary_pages_still_check_the_host_and_redirect(client: Client) -> None:
    assert client.get("/", HTTP_HOST="10.20.30.40").status_code == 400
    assert client.get("/", HTTP_HOST="coaching-profis.de").status_code == 301


def test_posting_to_the_endpoints_is_not_allowed_and_needs_no_csrf_token() -> None:
    csrf_client = Client(enforce_csrf_checks=True)
    for path in ("/healthz", "/readyz", "/metrics"):
        assert csrf_client.post(path).status_code == 405


@pytest.mark.django_db
@pytest.mark.usefixtures("strict_host")
def test_readyz_is_ok_when_every_configured_dependency_answers(client: Client) -> None:
    response = client.get("/readyz", HTTP_HOST="10.20.30.40")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "migrations", "channel_layer", "cache", "broker"}
    assert body["checks"]["migrations"] == {"ok": True, "detail": "all applied"}
    # The test settings run tasks eagerly on an in-memory layer: nothing to reach.
    assert body["checks"]["broker"]["detail"].startswith("not configured")
    assert not response.cookies


def _failed(response: Any) -> set[str]:
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    return {name for name, check in body["checks"].items() if not check["ok"]}


@pytest.mark.django_db
def test_readyz_fails_naming_the_database_on_a_closed_port(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    unreachable = database(
        {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": "sprechzeit",
            "USER": "postgres",
            "HOST": "127.0.0.1",
            "PORT": closed_port(),
            "OPTIONS": {"connect_timeout": 2},
        }
    )
    monkeypatch.setattr(readiness, "_database", lambda: unreachable)
    response = client.get("/readyz")
    assert _failed(response) == {"database", "migrations"}
    checks = response.json()["checks"]
    assert checks["database"]["detail"] == "OperationalError"
    assert checks["migrations"]["detail"] == "not checked: database unreachable"


@pytest.mark.django_db
def test_readyz_fails_naming_the_migrations_on_an_unmigrated_database(
    client: Client, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    empty = database({"ENGINE": "django.db.backends.sqlite3", "NAME": str(tmp_path / "new.db")})
    monkeypatch.setattr(readiness, "_database", lambda: empty)
    try:
        response = client.get("/readyz")
    finally:
        empty.close()
    assert _failed(response) == {"migrations"}
    detail = response.json()["checks"]["migrations"]["detail"]
    assert detail.endswith(" unapplied")
    assert int(detail.split()[0]) > 10


@pytest.mark.django_db
def test_readyz_fails_naming_the_channel_layer_when_its_redis_is_down(
    client: Client, settings: Any
) -> None:
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [{"address": f"redis://127.0.0.1:{closed_port()}/0"}]},
        }
    }
    response = client.get("/readyz")
    assert _failed(response) == {"channel_layer"}
    assert response.json()["checks"]["channel_layer"]["detail"] == "ConnectionError"


@pytest.mark.django_db
def test_readyz_fails_naming_the_cache_when_its_redis_is_down(
    client: Client, settings: Any
) -> None:
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{closed_port()}/0",
        }
    }
    assert _failed(client.get("/readyz")) == {"cache"}


@pytest.mark.django_db
def test_readyz_fails_naming_the_broker_when_it_refuses_connections(
    client: Client, settings: Any
) -> None:
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{closed_port()}/0"
    response = client.get("/readyz")
    assert _failed(response) == {"broker"}
    assert response.json()["checks"]["broker"]["detail"] == "OperationalError"


@pytest.mark.django_db
def test_readyz_reaches_a_real_redis_for_layer_cache_and_broker(
    client: Client, settings: Any
) -> None:
    """PING and a broker connection only: nothing is written to the Redis database."""
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [{"address": REDIS_URL}]},
        }
    }
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = REDIS_URL
    response = client.get("/readyz")
    assert response.status_code == 200, response.json()
    checks = response.json()["checks"]
    assert checks["channel_layer"] == {"ok": True, "detail": "reachable"}
    assert checks["broker"] == {"ok": True, "detail": "reachable"}


@pytest.mark.django_db
def test_the_migrations_check_remembers_a_migrated_database(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The graph is loaded once per process: a migrated database is not re-planned on
    every probe (an unmigrated one is, until it is migrated)."""
    built: list[object] = []

    class CountingExecutor(MigrationExecutor):
        def __init__(self, connection: Any) -> None:
            built.append(connection)
            super().__init__(connection)

    monkeypatch.setattr(readiness, "MigrationExecutor", CountingExecutor)
    assert readiness.check_migrations(connections["default"]).ok
    assert readiness.check_migrations(connections["default"]).ok
    assert len(built) == 1
