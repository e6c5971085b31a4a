"""Readiness: may this node take traffic? Each check names itself and says ok or not.

- `database`: a connection and `SELECT 1`;
- `migrations`: no migration of the code is unapplied on that database (a node of a new
  release stays out of the pool until `sprechzeit migrate` ran);
- `channel_layer` and `cache`: Redis answers PING, where they are configured on Redis;
- `broker`: Celery's broker accepts a connection, where tasks are not run eagerly.

A failing check answers with the exception's class only: the full error goes to the log,
not to whoever calls the endpoint.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import redis
from channels_redis.core import RedisChannelLayer
from django.conf import settings
from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.migrations.executor import MigrationExecutor
from django.utils.module_loading import import_string
from kombu import Connection

logger = logging.getLogger(__name__)

# Seconds any one network check may take; the load balancer's own timeout is longer.
TIMEOUT = 2

# Databases (by their connection settings) once seen fully migrated: migrations are not
# reverted under a running node, so the graph is loaded once per process, not per probe.
_migrated: set[tuple[str, ...]] = set()


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    ok: bool
    detail: str

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "detail": self.detail}


def _failed(name: str, exc: BaseException) -> Check:
    logger.warning("readiness check %s failed: %s", name, exc)
    return Check(name, ok=False, detail=type(exc).__name__)


def _database() -> BaseDatabaseWrapper:
    return connections["default"]


def check_database(connection: BaseDatabaseWrapper) -> Check:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any driver error means "not ready"
        return _failed("database", exc)
    return Check("database", ok=True, detail="reachable")


def check_migrations(connection: BaseDatabaseWrapper) -> Check:
    settings_dict = connection.settings_dict
    identity = tuple(str(settings_dict.get(key, "")) for key in ("ENGINE", "NAME", "HOST", "PORT"))
    if identity in _migrated:
        return Check("migrations", ok=True, detail="all applied")
    try:
        executor = MigrationExecutor(connection)
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except Exception as exc:
        return _failed("migrations", exc)
    if plan:
        return Check("migrations", ok=False, detail=f"{len(plan)} unapplied")
    _migrated.add(identity)
    return Check("migrations", ok=True, detail="all applied")


def redis_url_of_channel_layer() -> str | None:
    layer = settings.CHANNEL_LAYERS.get("default", {})
    backend = import_string(str(layer.get("BACKEND", "channels.layers.InMemoryChannelLayer")))
    if not issubclass(backend, RedisChannelLayer):  # ours (core.channel_layer) included
        return None
    hosts = layer.get("CONFIG", {}).get("hosts") or ["redis://127.0.0.1:6379"]
    first = hosts[0]
    if isinstance(first, dict):
        return str(first.get("address"))
    if isinstance(first, list | tuple):
        return f"redis://{first[0]}:{first[1]}"
    return str(first)


def redis_url_of_cache() -> str | None:
    cache = settings.CACHES.get("default", {})
    if not str(cache.get("BACKEND", "")).endswith("RedisCache"):
        return None
    location = cache.get("LOCATION")
    return str(location[0] if isinstance(location, list | tuple) else location)


def check_redis(name: str, url: str | None) -> Check:
    if url is None:
        return Check(name, ok=True, detail="not configured")
    try:
        client = redis.Redis.from_url(
            url, socket_connect_timeout=TIMEOUT, socket_timeout=TIMEOUT, retry_on_timeout=False
        )
        try:
            client.ping()
        finally:
            client.close()
    except Exception as exc:
        return _failed(name, exc)
    return Check(name, ok=True, detail="reachable")


def check_broker(url: str | None) -> Check:
    if url is None:
        return Check("broker", ok=True, detail="not configured (tasks run eagerly)")
    try:
        with Connection(url, connect_timeout=TIMEOUT) as connection:
            connection.ensure_connection(
                max_retries=1, interval_start=0, interval_step=0, timeout=TIMEOUT
            )
    except Exception as exc:
        return _failed("broker", exc)
    return Check("broker", ok=True, detail="reachable")


def readiness_checks() -> list[Check]:
    """Every check, in order; the migrations check needs a reachable database."""
    connection = _database()
    database = check_database(connection)
    migrations = (
        check_migrations(connection)
        if database.ok
        else Check("migrations", ok=False, detail="not checked: database unreachable")
    )
    eager = bool(getattr(settings, "CELERY_TASK_ALWAYS_EAGER", False))
    return [
        database,
        migrations,
        check_redis("channel_layer", redis_url_of_channel_layer()),
        check_redis("cache", redis_url_of_cache()),
        check_broker(None if eager else str(settings.CELERY_BROKER_URL)),
    ]
