"""The simulator: deterministic for a seed, ledger sound, EVN sums = ledger movements."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from sprechzeit.consultations.models import Consultation
from sprechzeit.consultations.records import records_for_client, records_for_partner
from sprechzeit.consultations.simulation import simulate
from sprechzeit.ledger.tests.helpers import assert_ledger_sound

pytestmark = pytest.mark.django_db


def test_a_simulated_month_is_deterministic_and_its_records_match_the_ledger() -> None:
    first = simulate(platforms=2, partners=3, clients=4, days=30, seed=7, prefix="a")
    # The same seed again (a shorter stretch keeps the suite fast): the same report.
    short = simulate(platforms=2, partners=2, clients=3, days=4, seed=11, prefix="c")
    again = simulate(platforms=2, partners=2, clients=3, days=4, seed=11, prefix="d")
    assert short.render() == again.render()
    assert first.ledger_ok
    assert first.outcomes["settled"] > 10, first.render()
    assert first.end_reasons["balance"] > 0
    assert first.chargebacks + first.refunds > 0

    settled = Consultation.objects.filter(status="settled", platform__slug__startswith="a-")
    clients = {c.client for c in settled.select_related("client")}
    partners = {c.partner for c in settled.select_related("partner")}
    client_sum = sum(r.amount_minor for c in clients for r in records_for_client(client=c))
    partner_sum = sum(
        r.partner_share_minor for p in partners for r in records_for_partner(partner=p)
    )
    assert client_sum == first.charged_minor
    assert partner_sum == first.partner_share_minor
    assert not Consultation.objects.filter(status__in=["requested", "live", "ended"]).exists()
    assert_ledger_sound()


def test_command() -> None:
    out = StringIO()
    call_command(
        "simulate",
        "--platforms",
        "1",
        "--partners",
        "2",
        "--clients",
        "3",
        "--days",
        "3",
        "--seed",
        "3",
        stdout=out,
    )
    assert "ledger=OK" in out.getvalue()
