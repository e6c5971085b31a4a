"""A Celery worker killed with SIGKILL in the middle of a settlement (`tasks.end`, as a
room socket queues it): the task is redelivered and books once. The test holds the
consultation's row lock, so the task is caught mid-settlement (waiting inside its
transaction); then

- the pool process running it is killed (the OOM killer's way): with acks_late and
  `task_reject_on_worker_lost` the worker puts it back at once and runs it again;
- the whole worker is killed (a crashed machine): Redis hands the unacknowledged task to
  a new worker after the visibility timeout (`CELERY_VISIBILITY_TIMEOUT`).

Either way the consultation is ended at the socket's second and settled once, and the
ledger is sound."""

from __future__ import annotations

import os
import signal
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from celery import Celery
from django.db import transaction

from sprechzeit.accounts.models import ClientAccount
from sprechzeit.consultations.models import Consultation
from sprechzeit.consultations.tests.factories import wallet_available
from sprechzeit.ledger.tests.helpers import assert_ledger_sound
from tests.ops.cluster import Cluster, wait_until
from tests.ops.redis_server import redis_server
from tests.ops.rooms import BALANCE_MINOR, live_consultation
from tests.ops.test_cluster import database_url_of_test

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
VISIBILITY_SECONDS = 8


@contextmanager
def row_locked(consultation: Consultation) -> Iterator[None]:
    """Hold the consultation's row lock (as a racing transition would)."""
    with transaction.atomic():
        Consultation.objects.select_for_update().get(pk=consultation.pk)
        yield


def lock_waiters(database_url: str) -> list[int]:
    """Backends of the test database waiting for a lock (the task mid-settlement)."""
    with psycopg.connect(database_url, autocommit=True) as watcher:
        rows = watcher.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
            " AND wait_event_type = 'Lock'"
        ).fetchall()
    return [row[0] for row in rows]


def pool_children(pid: int) -> list[int]:
    return [
        int(child)
        for path in Path(f"/proc/{pid}/task").glob("*/children")
        for child in path.read_text().split()
    ]


def end_queue(broker: str, consultation: Consultation, now: datetime) -> None:
    """What a room socket does when a side ends (`tasks.end_enqueue`)."""
    Celery("ops-test", broker=broker, set_as_current=False).send_task(
        "sprechzeit.consultations.tasks.end",
        args=(str(consultation.pk), "client", None, now.isoformat()),
        task_id=str(uuid.uuid4()),
    )


def settled_once(consultation: Consultation, *, at: datetime) -> None:
    def done() -> bool:
        consultation.refresh_from_db()
        return consultation.status == Consultation.Status.SETTLED

    wait_until(done, what=f"{consultation.pk} settled", timeout=60)
    assert consultation.started_at is not None
    assert consultation.end_reason == Consultation.EndReason.CLIENT
    assert consultation.duration_seconds == (at - consultation.started_at) // timedelta(seconds=1)
    assert consultation.amount_minor is not None
    # Charged once: what was there before, less the one amount.
    assert wallet_available(live_client(consultation)) == (
        BALANCE_MINOR - consultation.amount_minor
    )
    assert_ledger_sound()


def live_client(consultation: Consultation) -> ClientAccount:
    return Consultation.objects.select_related("client").get(pk=consultation.pk).client


def test_a_killed_worker_has_the_settlement_redelivered_and_booked_once(tmp_path: Path) -> None:
    database_url = database_url_of_test()
    with (
        redis_server(tmp_path / "redis") as redis,
        Cluster.start(
            tmp_path,
            database_url=database_url,
            nodes=1,
            worker=False,
            redis_url=redis.url,
            extra_environment={"CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY_SECONDS)},
        ) as cluster,
    ):
        secret = cluster.environment["SECRET_KEY"]
        worker = cluster.worker_restart(pool="prefork")

        # 1. The pool process dies mid-settlement: back in the queue at once.
        first = live_consultation(secret_key=secret).consultation
        ended_at = datetime.now(tz=UTC) + timedelta(seconds=3)
        with row_locked(first):
            end_queue(redis.url, first, ended_at)
            wait_until(lambda: len(lock_waiters(database_url)) == 1, what="the task to wait")
            killed = lock_waiters(database_url)
            (child,) = pool_children(worker.pid)
            os.kill(child, signal.SIGKILL)
            # Run again by a new pool process, caught by the same lock (well before the
            # visibility timeout could have handed it out).
            wait_until(
                lambda: lock_waiters(database_url) not in ([], killed),
                what="the redelivered task to wait",
                timeout=VISIBILITY_SECONDS - 1,
            )
        settled_once(first, at=ended_at)

        # 2. The whole worker dies mid-settlement: a new worker gets it after the
        # visibility timeout.
        second = live_consultation(secret_key=secret).consultation
        ended_at = datetime.now(tz=UTC) + timedelta(seconds=2)
        with row_locked(second):
            end_queue(redis.url, second, ended_at)
            wait_until(lambda: len(lock_waiters(database_url)) == 1, what="the task to wait")
            cluster.kill_worker()
        cluster.worker_restart(pool="prefork")
        # Sent once, taken by the killed worker: only the redelivery can have settled it.
        settled_once(second, at=ended_at)
