"""How a process holds its PostgreSQL connections (chosen from `Env`, used by settings).

Under ASGI every HTTP request runs its view in a thread of its own, and Django keeps a
connection per thread: with `CONN_MAX_AGE > 0` each request's thread leaves its
connection behind, one PostgreSQL backend per request, until `max_connections` is
exhausted. So the default outside the tests is a pool per process (psycopg_pool through
Django's `OPTIONS["pool"]`, which requires `CONN_MAX_AGE = 0`): at the end of a request
(or of a socket's database call) Django "closes" its connection, which hands it back to
the pool, and a process never holds more than `DB_POOL_MAX_SIZE` backends.
"""

from __future__ import annotations

from typing import Any, Final

from sprechzeit.config.env import Env, Mode

# Per process. Two uvicorn workers and a Celery worker stay far below PostgreSQL's
# default max_connections (100); the consultation sockets use two of them
# (CONSULTATION_DB_THREADS), the rest serve concurrent requests.
DEFAULT_POOL_MAX_SIZE: Final = 10
POOL_MIN_SIZE: Final = 1


def pool_max_size(env: Env) -> int:
    """The pool's size for this process; 0 means no pool."""
    if env.db_pool_max_size is not None:
        return env.db_pool_max_size
    if env.mode is Mode.TEST or env.db_conn_max_age:
        return 0
    return DEFAULT_POOL_MAX_SIZE


def postgres_connection_settings(env: Env) -> dict[str, Any]:
    """The keys to merge into a PostgreSQL `DATABASES` entry: a pool, connections kept
    per thread (only when DB_CONN_MAX_AGE asks for it), or one connection per request."""
    size = pool_max_size(env)
    if size:
        return {
            "CONN_MAX_AGE": 0,
            # The pool checks a connection before lending it: a restarted server costs
            # one failed check, not a failed request.
            "CONN_HEALTH_CHECKS": True,
            "OPTIONS": {
                "pool": {
                    "min_size": min(POOL_MIN_SIZE, size),
                    "max_size": size,
                    "timeout": env.db_pool_timeout,
                }
            },
        }
    if env.db_conn_max_age:
        return {"CONN_MAX_AGE": env.db_conn_max_age, "CONN_HEALTH_CHECKS": True}
    return {"CONN_MAX_AGE": 0}
