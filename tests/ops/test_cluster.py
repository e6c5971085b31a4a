"""The failover harness proven on its own (phase B builds the consultation failover,
worker-kill and Redis-restart tests on it): two production nodes behind the shipped nginx
answer in turn; SIGKILL one and nginx sends everything to the other; the nodes reach
PostgreSQL, Redis and the broker, and a Celery worker runs a task they can see."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from celery import Celery
from django.db import connection
from prometheus_client.parser import text_string_to_metric_families

from tests.ops.cluster import REDIS_URL, Cluster, wait_until


def database_url_of_test() -> str:
    settings = connection.settings_dict
    return f"postgres://{settings['USER']}@{settings['HOST']}:{settings['PORT']}/{settings['NAME']}"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_nodes_behind_nginx_answer_in_turn_and_survive_a_kill(tmp_path: Path) -> None:
    with Cluster.start(tmp_path, database_url=database_url_of_test(), nodes=2) as cluster:
        first, second = cluster.nodes
        mark = cluster.log_mark()
        for _ in range(4):
            status, body = cluster.https_json("/healthz")
            assert (status, body) == (200, {"status": "ok"})
        served = [tried[-1] for tried in cluster.served_by(4, since=mark)]
        assert served[0] != served[1]
        assert served[::2] == [served[0]] * 2
        assert served[1::2] == [served[1]] * 2
        assert set(served) == {first.address, second.address}

        status, ready = cluster.https_json("/readyz")
        assert status == 200, ready
        assert {name: check["detail"] for name, check in ready["checks"].items()} == {
            "database": "reachable",
            "migrations": "all applied",
            "channel_layer": "reachable",
            "cache": "reachable",
            "broker": "reachable",
        }

        # The worker runs a task sent through the broker; every node sees its result.
        Celery("ops-test", broker=REDIS_URL, set_as_current=False).send_task(
            "sprechzeit.core.tasks.heartbeat"
        )

        def heartbeat_seen() -> bool:
            return (
                _metric(first.get("/metrics")[1], "sprechzeit_celery_heartbeat_timestamp_seconds")
                > 0
            )

        wait_until(heartbeat_seen, what="the worker's heartbeat in node 0's /metrics", timeout=60)

        cluster.kill_node(0)
        mark = cluster.log_mark()
        for _ in range(4):
            status, body = cluster.https_json("/healthz")
            assert (status, body) == (200, {"status": "ok"})
        tried = cluster.served_by(4, since=mark)
        assert all(attempts[-1] == second.address for attempts in tried)
        assert first.process.poll() is not None
    assert all(node.process.poll() is not None for node in cluster.nodes)
    assert cluster.worker is not None
    assert cluster.worker.poll() is not None
    assert cluster.nginx.poll() is not None


def _metric(text: bytes, name: str) -> float:
    for family in text_string_to_metric_families(text.decode()):
        for sample in family.samples:
            if sample.name == name:
                value: Any = sample.value
                return float(value)
    return 0.0
