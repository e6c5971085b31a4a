"""Count database transactions, not queries: what a use case costs the database.

A transaction is either an atomic block that ran at least one statement and committed
(or rolled back), or one statement run in autocommit (its own transaction). Counted on
every connection of the process (the WebSocket consumers' thread pools too), by stage,
with the first statement of each transaction, so a test can pin the number and a
reader can see what each one was for. Used by tests and benchmarks only.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.utils import CursorWrapper


@dataclass
class Transactions:
    """What ran: `log` holds (stage, "commit" | "rollback" | "autocommit", first SQL)."""

    stage: str = ""
    log: list[tuple[str, str, str]] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.log)

    def by_stage(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for stage, _how, _sql in self.log:
            counts[stage] = counts.get(stage, 0) + 1
        return counts

    def render(self) -> str:
        return "\n".join(f"{stage:>12} {how:<10} {sql[:150]}" for stage, how, sql in self.log)


@contextmanager
def transactions_counted() -> Iterator[Transactions]:
    """Count the transactions of every connection while the block runs (set `.stage` to
    attribute them)."""
    counted = Transactions()
    lock = threading.Lock()
    first_sql: dict[int, str] = {}
    execute = getattr(CursorWrapper, "_execute_with_wrappers")  # noqa: B009 - untyped
    commit = BaseDatabaseWrapper.commit
    rollback = BaseDatabaseWrapper.rollback

    def counting_execute(
        self: CursorWrapper, sql: str, params: Any, many: bool, executor: Callable[..., Any]
    ) -> Any:
        with lock:
            if sql.startswith("BEGIN"):
                pass  # SQLite's BEGIN IMMEDIATE opens the atomic block it belongs to
            elif self.db.in_atomic_block or not self.db.get_autocommit():
                first_sql.setdefault(id(self.db), sql)
            else:
                counted.log.append((counted.stage, "autocommit", sql))
        return execute(self, sql, params, many, executor)

    def ending(how: str, real: Callable[[BaseDatabaseWrapper], None]) -> Any:
        def end(self: BaseDatabaseWrapper) -> None:
            with lock:
                sql = first_sql.pop(id(self), None)
                if sql is not None:
                    counted.log.append((counted.stage, how, sql))
            real(self)

        return end

    setattr(CursorWrapper, "_execute_with_wrappers", counting_execute)  # noqa: B010
    BaseDatabaseWrapper.commit = ending("commit", commit)  # type: ignore[method-assign]
    BaseDatabaseWrapper.rollback = ending("rollback", rollback)  # type: ignore[method-assign]
    try:
        yield counted
    finally:
        setattr(CursorWrapper, "_execute_with_wrappers", execute)  # noqa: B010
        BaseDatabaseWrapper.commit = commit  # type: ignore[method-assign]
        BaseDatabaseWrapper.rollback = rollback  # type: ignore[method-assign]
