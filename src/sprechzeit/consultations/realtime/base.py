"""What the consumers of consultations share: where their blocking work runs, and a
Channels consumer without the per-message database hop.

Blocking work never runs on the event loop that keeps the cut-offs on time:
`await db(function, *args, **kwargs)` runs database work, `await off_loop(...)` other
blocking work (the heartbeat store, queueing a task). Both keep the function's types.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from concurrent.futures import ThreadPoolExecutor

from asgiref.sync import sync_to_async
from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings

from sprechzeit.consultations.protocol import ErrorFrame
from sprechzeit.core.errors import DomainError
from sprechzeit.core.loopwatch import loop_watch_ensure

# SQLite (demo, tests) takes one writer at a time: its work stays in Django's one
# database thread. PostgreSQL gets a small pool of its own: the database work is mostly
# Python (the ORM) and holds the interpreter lock, so every extra busy thread takes turns
# away from the event loop that keeps the cut-offs on time. Timers never wait for this
# pool; requests queue in it instead of starving the loop.
_THREAD_SENSITIVE = settings.DATABASES["default"]["ENGINE"].endswith("sqlite3")
_POOL = (
    None
    if _THREAD_SENSITIVE
    else ThreadPoolExecutor(
        max_workers=settings.CONSULTATION_DB_THREADS, thread_name_prefix="consultation-db"
    )
)


def db[**P, R](function: Callable[P, R], /, *args: P.args, **kwargs: P.kwargs) -> Awaitable[R]:
    """`function(*args, **kwargs)` in a database thread (stale connections are closed
    there first); await the result. A plain function returning the awaitable: no extra
    coroutine per call."""
    if _POOL is None:
        call = database_sync_to_async(function, thread_sensitive=True)
    else:
        call = database_sync_to_async(function, thread_sensitive=False, executor=_POOL)
    awaitable: Awaitable[R] = call(*args, **kwargs)
    return awaitable


# Blocking work without the database (the heartbeat store, queueing a task: short waits
# on Redis) has threads of its own: in the database pool it queued behind ORM work, and a
# timer's look at the stored heartbeats just before its cut-off waited seconds for it
# (2,000 concurrent consultations: cut-offs up to 4.4 s late while the event loop ran
# on time; docs/performance.md).
_IO_POOL = ThreadPoolExecutor(
    max_workers=settings.CONSULTATION_IO_THREADS, thread_name_prefix="consultation-io"
)


def off_loop[**P, R](
    function: Callable[P, R], /, *args: P.args, **kwargs: P.kwargs
) -> Awaitable[R]:
    """Blocking work that needs no database connection (the heartbeat store, queueing a
    task) off the event loop, never behind database work; await the result."""
    return sync_to_async(function, thread_sensitive=False, executor=_IO_POOL)(*args, **kwargs)


def error_frame(exc: DomainError) -> ErrorFrame:
    """A typed domain error as the socket answers it (the socket stays open)."""
    return {
        "type": "error",
        "code": exc.code,
        "message": str(exc.message),
        "fields": dict(exc.fields),
    }


class Consumer(AsyncJsonWebsocketConsumer):  # type: ignore[misc]
    """Channels' consumer without its per-message database hop.

    `AsyncConsumer.dispatch` runs `close_old_connections` in Django's one
    thread-sensitive executor before *every* message (heartbeats, meter events): with
    thousands of sockets that single thread is the bottleneck. Every database call here
    goes through `db` (`database_sync_to_async`), which closes stale connections in its
    own worker thread, so the hop is redundant.
    """

    async def websocket_connect(self, message: Mapping[str, object]) -> None:
        # The first socket of a loop starts its lag probe (cut-offs are its timers).
        loop_watch_ensure()
        await super().websocket_connect(message)

    async def dispatch(self, message: Mapping[str, object]) -> None:
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)
