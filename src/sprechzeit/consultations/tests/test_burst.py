"""A burst of ends booked together (`services.burst`, `tasks.ends`, the window in
`realtime.booking`): one transaction for many settlements, each booked exactly once,
and a burst that fails falls back to one end at a time."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.db import OperationalError

from sprechzeit.consultations import tasks
from sprechzeit.consultations.models import Consultation
from sprechzeit.consultations.realtime import booking
from sprechzeit.consultations.services import burst, consultation_accept, consultation_request
from sprechzeit.consultations.services.burst import EndRequest, consultations_end_many
from sprechzeit.consultations.services.metering import consultation_end_and_settle_locked
from sprechzeit.consultations.tests.factories import scene, wallet_available
from sprechzeit.core.dbcount import transactions_counted
from sprechzeit.ledger.tests.helpers import assert_ledger_sound
from sprechzeit.notifications.services import mail_muted

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def live_ones(n: int) -> list[Consultation]:
    out = []
    for _ in range(n):
        s = scene(balance_minor=1000, rate_minor=200)
        consultation = consultation_request(client=s.client, listing=s.listing, now=at(-5))
        out.append(consultation_accept(consultation=consultation, partner=s.partner, now=at(0)))
    return out


def ends_of(consultations: list[Consultation], seconds: int) -> list[EndRequest]:
    return [
        EndRequest(consultation_id=str(c.pk), reason="balance", at_second=seconds, now=at(seconds))
        for c in consultations
    ]


@pytest.mark.django_db(transaction=True)
def test_a_burst_settles_every_live_consultation_in_one_transaction() -> None:
    live = live_ones(3)
    s = scene(balance_minor=1000, rate_minor=200)
    requested = consultation_request(client=s.client, listing=s.listing, now=at(-5))
    with mail_muted(), transactions_counted() as counted:
        settled = consultations_end_many(ends=ends_of([*live, requested], 60))
    assert settled == 3
    # The burst's one commit, then each settled consultation's mail task (eager here:
    # its reads in one transaction; muted, it sends nothing).
    assert [how for _stage, how, _sql in counted.log] == ["commit"] * 4, counted.render()
    assert 'ORDER BY "consultations_consultation"."id"' in counted.log[0][2]
    for consultation in live:
        consultation.refresh_from_db()
        assert (consultation.status, consultation.duration_seconds) == ("settled", 60)
        assert consultation.amount_minor == 200
        assert wallet_available(consultation.client) == 800
    requested.refresh_from_db()
    assert requested.status == "requested"
    # Redelivered: nothing is booked twice.
    assert consultations_end_many(ends=ends_of(live, 90)) == 0
    assert_ledger_sound()


@pytest.mark.django_db(transaction=True)
def test_a_failing_burst_books_each_end_on_its_own(monkeypatch: pytest.MonkeyPatch) -> None:
    live = live_ones(3)
    real = consultation_end_and_settle_locked
    calls = {"n": 0}

    def second_fails(**kwargs: Any) -> None:
        calls["n"] += 1
        if calls["n"] == 2:
            raise OperationalError("simulated deadlock")
        real(**kwargs)

    monkeypatch.setattr(burst, "consultation_end_and_settle_locked", second_fails)
    assert consultations_end_many(ends=ends_of(live, 30)) == 3
    statuses = set(
        Consultation.objects.filter(pk__in=[c.pk for c in live]).values_list(
            "status", "duration_seconds"
        )
    )
    assert statuses == {("settled", 30)}
    assert_ledger_sound()


@pytest.mark.django_db(transaction=True)
async def test_ends_of_one_window_go_to_the_worker_as_one_task(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sent: list[list[tuple[str, str, float | None, str]]] = []

    def enqueue(*, items: list[tuple[str, str, float | None, str]]) -> bool:
        sent.append(items)
        return True

    monkeypatch.setattr(tasks, "server_cut_off_available", lambda: True)
    monkeypatch.setattr(tasks, "ends_enqueue", enqueue)
    consultations = [Consultation(pk=f"00000000-0000-0000-0000-00000000000{n}") for n in range(3)]
    await asyncio.gather(
        *(
            booking.end_booking_start(consultation=c, reason="balance", at_second=60, now=at(60))
            for c in consultations
        )
    )
    assert len(sent) == 1
    assert [item[0] for item in sent[0]] == [str(c.pk) for c in consultations]
    assert sent[0][0][1:] == ("balance", 60, at(60).isoformat())
