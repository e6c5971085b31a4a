"""Failover of a chat consultation through nginx: two production nodes, a Celery worker,
PostgreSQL and a Redis of the test's own. The node holding the client's room socket is
killed with SIGKILL mid-consultation; the client's socket (behaving like the room script)
reconnects through nginx to the other node within a few seconds; the meter continues; the
consultation is billed its seconds without the outage (up to the client's last heartbeat
before the gap, and again from its return), the client is told (`reconnected`), and the
ledger is sound."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC
from pathlib import Path

import pytest

from sprechzeit.consultations.models import Consultation
from sprechzeit.consultations.realtime.beats import FLUSH_SECONDS
from sprechzeit.ledger.tests.helpers import assert_ledger_sound
from tests.ops.cluster import wait_until
from tests.ops.rooms import (
    HEARTBEAT_SECONDS,
    RECONNECT_SECONDS,
    RoomSocket,
    live_consultation,
    node_connections,
    room_cluster,
)
from tests.ops.test_cluster import database_url_of_test

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def settled(consultation: Consultation) -> Consultation:
    def done() -> bool:
        consultation.refresh_from_db()
        return consultation.status == Consultation.Status.SETTLED

    wait_until(done, what=f"consultation {consultation.pk} to be settled", timeout=60)
    return consultation


def test_a_killed_node_costs_the_client_a_reconnect_not_the_outage(tmp_path: Path) -> None:
    with room_cluster(tmp_path, database_url=database_url_of_test()) as (cluster, _redis):
        live = live_consultation(secret_key=cluster.environment["SECRET_KEY"])
        consultation = live.consultation
        assert consultation.started_at is not None
        ports = [node.port for node in cluster.nodes]

        async def scenario() -> tuple[float, float, float, RoomSocket]:
            def socket(cookie: str) -> RoomSocket:
                return RoomSocket(
                    cluster.site.https_port, cluster.tls, str(consultation.pk), cookie
                )

            partner = socket(live.partner_cookie)
            partner.start()
            await partner.wait_for("hello")
            before = [node_connections(port) for port in ports]
            client = socket(live.client_cookie)
            client.start()
            await client.wait_for("hello")
            gained = [node_connections(p) - b for p, b in zip(ports, before, strict=True)]
            assert sorted(gained) == [0, 1], gained
            doomed = gained.index(1)
            await client.send(type="chat", body="Hallo, sind Sie da?")
            await partner.wait_for("chat")
            # One heartbeat of the script's, and the second its node takes to store it
            # (heartbeats are written in batches, `realtime.beats.FLUSH_SECONDS`): killed
            # sooner, the node loses it and the gap starts at the previous one (elapsed 0).
            await asyncio.sleep(HEARTBEAT_SECONDS + FLUSH_SECONDS + 1)

            killed_at = time.monotonic()
            cluster.kill_node(doomed)
            reconnected = await client.wait_for("reconnected", timeout=20)
            back = await client.wait_for("hello", count=2)
            back_at = next(at for at, frame in client.frames if frame is back)
            # Within a few seconds, through nginx, to the node still alive.
            assert back_at - killed_at < RECONNECT_SECONDS + 5
            assert node_connections(ports[1 - doomed]) >= 2
            assert reconnected["role"] == "client"
            outage = back_at - killed_at
            assert outage - 0.5 <= reconnected["gap_seconds"] <= outage + HEARTBEAT_SECONDS + 1
            # The meter continues: a snapshot at once and on both sides, chat across nodes.
            meter = await client.wait_for("meter", after=back_at)
            assert meter["elapsed_seconds"] >= 10
            await client.send(type="chat", body="Wieder da.")
            assert (await partner.wait_for("chat", count=2))["body"] == "Wieder da."
            assert (await partner.wait_for("reconnected"))["gap_seconds"] == (
                reconnected["gap_seconds"]
            )
            await asyncio.sleep(4)
            ended_at = time.time()
            await client.send(type="end")
            # Time for one more reconnection should the socket drop right at the end (a
            # re-connection to an ended consultation hears `ended` in its hello).
            await client.wait_for("ended", timeout=60)
            await partner.wait_for("ended", timeout=60)
            await client.stop()
            await partner.stop()
            return outage, reconnected["gap_seconds"], ended_at, client

        try:
            outage, gap, ended_at, client = asyncio.run(asyncio.wait_for(scenario(), 180))
        except (AssertionError, TimeoutError) as failure:
            # Where the living nodes wait (a socket that stopped answering), then the logs.
            stacks = "\n".join(cluster.node_stacks(index) for index in range(len(ports)))
            raise AssertionError(f"{failure}\n{stacks}\n{cluster.log_tails(40)}") from failure
        started_at = consultation.started_at
        consultation = settled(consultation)
        wall = ended_at - started_at.astimezone(UTC).timestamp()
        assert consultation.end_reason == Consultation.EndReason.CLIENT
        assert consultation.duration_seconds is not None
        # Billed: the seconds without the outage. At most what the client was connected
        # for (the outage never billed); at least that minus one heartbeat interval of the
        # script's (the last stored heartbeat may lie that far before the kill).
        assert consultation.duration_seconds <= wall - outage + 1
        assert consultation.duration_seconds >= wall - outage - HEARTBEAT_SECONDS - 1
        assert consultation.duration_seconds == pytest.approx(wall - gap, abs=1.5)
        assert consultation.outage_seconds >= outage - 0.5
        assert client.connections == 2
        assert_ledger_sound()
