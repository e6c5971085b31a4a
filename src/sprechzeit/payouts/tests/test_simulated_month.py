"""A month made by the simulator: statements equal the ledger movements of each partner;
after the payout run and the bank's confirmation every payable is back to what is
carried forward; the ledger check is clean."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db.models import Sum

from sprechzeit.accounts.models import Partner
from sprechzeit.consultations.simulation import simulate
from sprechzeit.core import clock
from sprechzeit.ledger.models import Transfer
from sprechzeit.ledger.selectors import account_balance
from sprechzeit.ledger.tests.helpers import assert_ledger_sound
from sprechzeit.payouts import lines as payout_lines
from sprechzeit.payouts import services as payouts
from sprechzeit.payouts.models import PayoutPolicy
from sprechzeit.payouts.tests.factories import Line, camt, tax_profile
from sprechzeit.platforms.models import LegalEntity
from sprechzeit.statements import services as statements
from sprechzeit.statements.models import Statement
from sprechzeit.statements.vat import VatStatus
from sprechzeit.wallets import services as wallets

pytestmark = pytest.mark.django_db
JANUARY = (datetime(2025, 12, 31, 23, tzinfo=UTC), datetime(2026, 1, 31, 23, tzinfo=UTC))


def test_simulated_month_closes_pays_and_balances() -> None:
    report = simulate(platforms=2, partners=4, clients=5, days=30, seed=7, prefix="s")
    assert report.ledger_ok
    partners = list(Partner.objects.order_by("pk"))
    for partner, status in zip(partners, list(VatStatus), strict=False):
        tax_profile(partner, status)
    ibans = ["DE89370400440532013000", "DE75512108001245126199", "DE12500105170648489890"]
    for entity, iban in zip(LegalEntity.objects.order_by("pk"), ibans, strict=False):
        LegalEntity.objects.filter(pk=entity.pk).update(iban=iban, bic="")
        PayoutPolicy.objects.create(legal_entity=entity, threshold_minor=100)
    payable = {p.pk: wallets.partner_payable_account(partner=p, currency="EUR") for p in partners}

    def movements(partner: Partner) -> int:
        """What the ledger moved onto the partner's payable in January (Berlin time)."""
        account = payable[partner.pk]
        window = {"created_at__gte": JANUARY[0], "created_at__lt": JANUARY[1]}
        credit = Transfer.objects.filter(credit_account=account, **window).exclude(
            kind__in=["pending", "void_pending", "expire_pending"]
        )
        debit = Transfer.objects.filter(debit_account=account, **window).exclude(
            kind__in=["pending", "void_pending", "expire_pending"]
        )
        return int(credit.aggregate(s=Sum("amount"))["s"] or 0) - int(
            debit.aggregate(s=Sum("amount"))["s"] or 0
        )

    with clock.frozen_at(datetime(2026, 2, 10, 9, tzinfo=UTC)):
        run = statements.statements_close(period="2026-01")
    assert run.held == 0
    issued = Statement.objects.filter(status=Statement.Status.ISSUED)
    assert issued.count() >= 1
    for partner in partners:
        net = sum(issued.filter(partner=partner).values_list("net_minor", flat=True))
        assert net == movements(partner), partner
    before = {pk: account_balance(account=account).posted.minor for pk, account in payable.items()}
    statement_totals = {
        partner.pk: sum(issued.filter(partner=partner).values_list("gross_minor", flat=True))
        for partner in partners
    }
    paid = 0
    with clock.frozen_at(datetime(2026, 2, 11, 9, tzinfo=UTC)):
        for entity in LegalEntity.objects.filter(pk__in=issued.values("legal_entity")):
            payout_run = payouts.payout_run_create(legal_entity=entity)
            lines = [Line(p.end_to_end_id, p.amount_minor) for p in payout_run.payouts.all()]
            # each entity's bank account has its own statement (numbers repeat per entity)
            result = payout_lines.payouts_import_camt(
                xml=camt(lines, statement_id=f"STMT-{entity.pk}", iban=entity.iban)
            )
            assert len(result.confirmed) == len(lines)
            paid += len(lines)
    assert paid >= 1
    for partner in partners:
        after = account_balance(account=payable[partner.pk]).posted.minor
        # what is left is what was earned after January: carried forward
        assert after == before[partner.pk] - statement_totals[partner.pk], partner
    assert_ledger_sound()
