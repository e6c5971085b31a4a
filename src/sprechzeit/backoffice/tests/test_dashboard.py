"""Every dashboard figure against a recomputation from the ledger's transfers (and, for
what the ledger does not know, straight counts of the rows), on a month with top-ups,
a consultation, a lost chargeback and a write-off, and the month before it."""

from __future__ import annotations

import csv
import io
import uuid
from dataclasses import replace
from datetime import date
from typing import Any

import pytest
from django.db.models import Sum

from sprechzeit.accounts.tests.factories import client_create
from sprechzeit.backoffice.dashboard.figures import Span, board_for
from sprechzeit.backoffice.tests.conftest import StaffClient
from sprechzeit.consultations.models import Consultation
from sprechzeit.core import clock
from sprechzeit.core.money import Money
from sprechzeit.ledger.check import ledger_check
from sprechzeit.ledger.models import Transfer
from sprechzeit.payments.models import Dispute, Payment, ProviderKind
from sprechzeit.payments.services import payments
from sprechzeit.payments.services.sandbox import sandbox_deliver
from sprechzeit.payments.tests.factories import channel, provider_config
from sprechzeit.statements.tests.factories import at, busy_scene, settled
from sprechzeit.wallets.services import wallet_write_off

pytestmark = pytest.mark.django_db

OCTOBER = Span(date(2026, 10, 1), date(2026, 10, 31))


def _pay(scene: Any, policy: Any, minor: int, when: Any) -> Payment:
    with clock.frozen_at(when):
        payment = payments.payment_start(
            client_account=scene.client,
            policy=policy,
            amount=Money(minor, "EUR"),
            return_url="/r/{id}",
            cancel_url="/c",
            webhook_url="/h",
        )
        sandbox_deliver(payment=payment, event_type="payment.succeeded")
    return payment


def _month() -> Any:
    scene = busy_scene()
    policy = channel(provider_config(scene.platform, ProviderKind.SANDBOX), "sandbox")
    _pay(scene, policy, 1500, at(2026, 9, 20))
    _pay(scene, policy, 2000, at(2026, 10, 5))
    # A second client pays 30 €, talks for 10 minutes, and the payment is charged back:
    # the wallet goes negative and the receivable is written off later.
    debtor = replace(scene, client=client_create(platform=scene.platform))
    lost = _pay(debtor, policy, 3000, at(2026, 10, 2))
    settled(debtor, seconds=600, when=at(2026, 10, 10))
    settled(scene, seconds=95, when=at(2026, 10, 11))
    settled(scene, seconds=300, when=at(2026, 9, 11))
    with clock.frozen_at(at(2026, 10, 20)):
        sandbox_deliver(payment=lost, event_type="dispute.opened", dispute_id="dp-1")
        sandbox_deliver(payment=lost, event_type="dispute.lost", dispute_id="dp-1")
    return debtor


def _ledger(span: Span, purpose: str, **filters: Any) -> int:
    transfers = Transfer.objects.filter(
        purpose=purpose, created_at__gte=span.start, created_at__lt=span.end, **filters
    )
    return int(transfers.aggregate(total=Sum("amount"))["total"] or 0)


def _recomputed(span: Span) -> dict[str, Any]:
    """The figures again, from the ledger: each settled consultation books its charge and
    its split legs with the reference consultation:<id>; each credited payment its top-up."""
    charges = Transfer.objects.filter(
        purpose="consultation_charge", created_at__gte=span.start, created_at__lt=span.end
    )
    consultation_ids = {ref.split(":")[1] for ref in charges.values_list("reference", flat=True)}
    seconds = sum(
        value or 0
        for value in Consultation.objects.filter(pk__in=consultation_ids).values_list(
            "billed_seconds", flat=True
        )
    )
    return {
        "topups": _ledger(span, "top_up", reference__startswith="payment:"),
        "consumption": _ledger(span, "consultation_charge"),
        "vat": _ledger(span, "consultation_vat"),
        "partner_shares": _ledger(span, "consultation_partner"),
        "margin": _ledger(span, "consultation_revenue"),
        "consultations": len(consultation_ids),
        "paid_minutes_seconds": seconds,
        "write_offs": _ledger(span, "receivable_written_off"),
        "chargebacks": Dispute.objects.filter(
            opened_at__gte=span.start, opened_at__lt=span.end
        ).count(),
    }


def test_each_figure_matches_the_ledger_this_month_and_the_month_before() -> None:
    scene = _month()
    with clock.frozen_at(at(2026, 10, 25)):
        written_off = wallet_write_off(client_account=scene.client, id=uuid.uuid4())
    board = board_for(OCTOBER)
    assert board.previous_span == Span(date(2026, 9, 1), date(2026, 9, 30))
    figures = {figure.key: figure for figure in board.figures}
    for span, pick in ((OCTOBER, "value"), (board.previous_span, "previous")):
        expected = _recomputed(span)
        for key in ("topups", "consumption", "vat", "partner_shares", "margin", "write_offs"):
            assert getattr(figures[key], pick) == expected[key], (key, span)
        assert getattr(figures["consultations"], pick) == expected["consultations"]
        assert getattr(figures["chargebacks"], pick) == expected["chargebacks"]
        minutes = getattr(figures["paid_minutes"], pick)
        assert abs(float(minutes) - expected["paid_minutes_seconds"] / 60) < 0.05
    # The scene's own numbers, so a figure that is zero on both sides cannot pass silently.
    assert figures["topups"].value == 5000  # 20 € + the 30 € charged back
    assert figures["topups"].previous == 1500
    assert figures["topups_count"].value == 2
    assert figures["consultations"].value == 2
    assert figures["chargebacks"].value == 1
    assert figures["chargeback_rate"].value == 50
    assert figures["write_offs"].value == written_off.minor > 0
    assert (
        figures["consumption"].value
        == figures["vat"].value + figures["partner_shares"].value + figures["margin"].value
    )
    assert board.topups_by_channel == {(scene.platform.name, "sandbox"): 5000}
    assert sum(day[1] for day in board.daily) == 5000
    assert sum(day[2] for day in board.daily) == figures["consumption"].value
    assert ledger_check().ok


def test_the_page_shows_money_as_money_and_exports_each_figure(staff_client: StaffClient) -> None:
    _month()
    accounting, _ = staff_client("accounting")
    with clock.frozen_at(at(2026, 11, 3)):
        page = accounting.get("/backoffice/?from=2026-10-01&to=2026-10-31")
        assert page.status_code == 200
        text = page.content.decode()
        assert 'data-figure="topups">50,00\xa0€' in text
        assert "<svg" in text
        assert "Betrag (Cent)" not in text
        response = accounting.get(
            "/backoffice/kennzahlen.csv?figure=topups&from=2026-10-01&to=2026-10-31"
        )
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[1][0] == "topups"
    assert rows[1][4] == "5000"
    assert rows[1][7] == "1500"
    bad = accounting.get("/backoffice/kennzahlen.csv?figure=nope")
    assert bad.status_code == 400
    assert accounting.get("/backoffice/?from=2026-10-31&to=2026-10-01").status_code == 400
