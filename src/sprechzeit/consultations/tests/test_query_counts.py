"""Pinned query counts of the money path of a consultation: accept, end (with its
settlement, one or several holds) and the settlement of an ended consultation. A
future N+1 (a query per hold, per split part, per line) fails here; a change that
saves queries updates the numbers on purpose.

Counted on the steady state: the platform's and the partner's ledger accounts exist
(created by an earlier consultation); creating them is a one-off. Savepoints count as
queries (Django records them); the counts are per backend where they differ.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection

from sprechzeit.consultations.models import Consultation
from sprechzeit.consultations.services import (
    consultation_accept,
    consultation_end,
    consultation_extend,
    consultation_request,
    consultation_settle,
)
from sprechzeit.consultations.tests.factories import (
    Scene,
    scene,
    top_up,
    wallet_available,
)
from sprechzeit.ledger.tests.helpers import assert_ledger_sound

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
Reason = Consultation.EndReason

# Queries per use case and backend (`connection.vendor`).
QUERIES: dict[str, dict[str, int]] = {
    "accept": {"sqlite": 30, "postgresql": 26},
    # The end includes both rooms' summaries (read in the settlement's transaction).
    "end, one hold": {"sqlite": 31, "postgresql": 27},
    "end, two holds": {"sqlite": 46, "postgresql": 38},
    "settle": {"sqlite": 22, "postgresql": 18},
}


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def queries(use_case: str) -> int:
    return QUERIES[use_case][connection.vendor]


@pytest.fixture(autouse=True)
def _clear_cache() -> None:
    cache.clear()


def warm_scene() -> Scene:
    """A scene whose platform and partner already had a settled consultation."""
    s = scene(balance_minor=1000, rate_minor=200)
    first = consultation_request(client=s.client, listing=s.listing, now=at(-100))
    first = consultation_accept(consultation=first, partner=s.partner, now=at(-95))
    consultation_end(consultation=first, reason=Reason.CLIENT, at_second=30, now=at(-65))
    return s


def requested(s: Scene) -> Consultation:
    return consultation_request(client=s.client, listing=s.listing, now=at(-5))


def test_accept(django_assert_num_queries: Any) -> None:
    s = warm_scene()
    consultation = requested(s)
    with django_assert_num_queries(queries("accept")):
        consultation = consultation_accept(consultation=consultation, partner=s.partner, now=at(0))
    assert (consultation.status, consultation.held_minor) == ("live", 900)
    consultation_end(consultation=consultation, reason=Reason.CLIENT, at_second=10, now=at(10))
    assert_ledger_sound()


def test_end_with_its_settlement(django_assert_num_queries: Any) -> None:
    s = warm_scene()
    consultation = consultation_accept(consultation=requested(s), partner=s.partner, now=at(0))
    with django_assert_num_queries(queries("end, one hold")):
        consultation = consultation_end(
            consultation=consultation, reason=Reason.CLIENT, at_second=60, now=at(60)
        )
    assert (consultation.status, consultation.amount_minor) == ("settled", 200)
    assert wallet_available(s.client) == 700
    assert_ledger_sound()


def test_end_with_its_settlement_after_a_top_up(django_assert_num_queries: Any) -> None:
    """Two holds: what a second hold adds to the settlement is pinned too."""
    s = warm_scene()
    consultation = consultation_accept(consultation=requested(s), partner=s.partner, now=at(0))
    top_up(client=s.client, minor=300)
    consultation = consultation_extend(consultation=consultation, now=at(100))
    assert consultation.holds.count() == 2
    with django_assert_num_queries(queries("end, two holds")):
        consultation = consultation_end(
            consultation=consultation, reason=Reason.CLIENT, at_second=300, now=at(300)
        )
    assert (consultation.status, consultation.amount_minor) == ("settled", 1000)
    assert wallet_available(s.client) == 200
    assert_ledger_sound()


def test_settlement_of_an_ended_consultation(django_assert_num_queries: Any) -> None:
    """The reaper's and the retries' path: ended (the process died before booking),
    settled later."""
    s = warm_scene()
    consultation = consultation_accept(consultation=requested(s), partner=s.partner, now=at(0))
    Consultation.objects.filter(pk=consultation.pk).update(
        status=Consultation.Status.ENDED,
        end_reason=Reason.TIMEOUT,
        duration_seconds=90,
        ended_at=at(90),
    )
    with django_assert_num_queries(queries("settle")):
        consultation = consultation_settle(consultation=consultation, now=at(120))
    assert (consultation.status, consultation.amount_minor) == ("settled", 300)
    assert wallet_available(s.client) == 600
    assert_ledger_sound()
