"""Two close runs of one period at once (PostgreSQL): every document issued once, the
numbers of the series gap-free and unique."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from sprechzeit.core import clock
from sprechzeit.ledger.tests.helpers import assert_ledger_sound
from sprechzeit.platforms.tests.factories import platform_create
from sprechzeit.statements import errors, services
from sprechzeit.statements.models import CloseRun, Statement
from sprechzeit.statements.tests.factories import at, busy_scene, settled, tax_profile

PARTNERS = 16


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_closes_number_gap_free() -> None:
    platform = platform_create()
    for _ in range(PARTNERS):
        s = busy_scene(platform=platform)
        tax_profile(s.partner)
        settled(s, seconds=90, when=at(2026, 10, 15))
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def run() -> None:
        try:
            barrier.wait()
            with clock.frozen_at(at(2026, 11, 2)):
                services.statements_close(period="2026-10")
            outcomes.append("done")
        except errors.PeriodAlreadyClosed:
            outcomes.append("already closed")
        except Exception as exc:
            outcomes.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sorted(outcomes) in (["already closed", "done"], ["done", "done"]), outcomes
    issued = Statement.objects.filter(status=Statement.Status.ISSUED)
    assert issued.count() == PARTNERS
    assert Statement.objects.count() == PARTNERS
    seqs = sorted(int(seq or 0) for seq in issued.values_list("number_seq", flat=True))
    assert seqs == list(range(1, PARTNERS + 1))
    assert len(set(issued.values_list("number", flat=True))) == PARTNERS
    assert CloseRun.objects.get().status == CloseRun.Status.DONE
    assert_ledger_sound()
