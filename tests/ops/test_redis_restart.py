"""Redis (channel layer, cache with the heartbeats, Celery broker) restarted in the middle
of a chat consultation through nginx: the room sockets lose the channel layer and
reconnect like the room script once Redis is back (or stay, where theirs held), the meter
continues, the end is booked by the worker, and nothing is booked twice."""

from __future__ import annotations

import asyncio
import signal
import time
from datetime import UTC
from pathlib import Path

import pytest

from sprechzeit.consultations.models import Consultation
from sprechzeit.consultations.tests.factories import wallet_available
from sprechzeit.ledger.tests.helpers import assert_ledger_sound
from tests.ops.cluster import wait_until
from tests.ops.rooms import (
    BALANCE_MINOR,
    RoomSocket,
    live_consultation,
    room_cluster,
)
from tests.ops.test_cluster import database_url_of_test

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
# Redis stays away this long: longer than the room script's wait before it reconnects.
DOWN_SECONDS = 3.0


def test_a_redis_restart_mid_consultation_recovers_and_books_once(tmp_path: Path) -> None:
    with room_cluster(tmp_path, database_url=database_url_of_test()) as (cluster, redis):
        live = live_consultation(secret_key=cluster.environment["SECRET_KEY"])
        consultation = live.consultation
        assert consultation.started_at is not None
        started_at = consultation.started_at.astimezone(UTC).timestamp()

        async def scenario() -> float:
            def socket(cookie: str) -> RoomSocket:
                return RoomSocket(
                    cluster.site.https_port, cluster.tls, str(consultation.pk), cookie
                )

            client, partner = socket(live.client_cookie), socket(live.partner_cookie)
            client.start()
            partner.start()
            await client.wait_for("hello")
            await partner.wait_for("hello")
            await client.send(type="chat", body="Vor dem Neustart")
            await partner.wait_for("chat")
            await asyncio.sleep(3)

            redis.stop(signal.SIGTERM)
            down_at = time.monotonic()
            await asyncio.sleep(DOWN_SECONDS)
            redis.start()
            up_at = time.monotonic()

            # Every side is in its room again (a new hello, or its socket held), and the
            # chat and the meter run across the nodes.
            async def in_room(side: RoomSocket) -> None:
                if side.closed_at and side.closed_at[-1] >= down_at:
                    await side.wait_for("hello", after=side.closed_at[-1], timeout=30)

            await asyncio.wait_for(asyncio.gather(in_room(client), in_room(partner)), 40)
            for _ in range(20):
                await client.send(type="chat", body="Nach dem Neustart")
                try:
                    await partner.wait_for("chat", after=up_at, timeout=2)
                    break
                except AssertionError:
                    continue  # a socket still coming back; the script would resend too
            else:
                raise AssertionError(f"no chat after the restart: {partner.errors}")
            await client.wait_for("meter", after=up_at, timeout=15)
            ended_at = time.time()
            await client.send(type="end")
            await client.wait_for("ended")
            await partner.wait_for("ended")
            assert client.connections <= 3
            assert partner.connections <= 3
            await client.stop()
            await partner.stop()
            return ended_at

        ended_at = asyncio.run(asyncio.wait_for(scenario(), 150))

        def settled() -> bool:
            consultation.refresh_from_db()
            return consultation.status == Consultation.Status.SETTLED

        wait_until(settled, what=f"{consultation.pk} settled", timeout=60)
        assert consultation.end_reason == Consultation.EndReason.CLIENT
        assert consultation.duration_seconds is not None
        assert consultation.amount_minor is not None
        # Never more than the wall time, never less than it without the restart's gap.
        wall = ended_at - started_at
        assert wall - DOWN_SECONDS - 15 <= consultation.duration_seconds <= wall + 1
        # Booked once: the balance less the one amount.
        client_account = Consultation.objects.select_related("client").get(pk=consultation.pk)
        assert wallet_available(client_account.client) == BALANCE_MINOR - consultation.amount_minor
        assert_ledger_sound()
