"""A month made by the simulator (two operator entities, partners in every VAT case),
closed: per entity, the DATEV rows per account equal the ledger's movement and the VAT
return figures agree with the ledger and the consultations."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime

import pytest
from django.db.models import Q

from sprechzeit.accounting import mapping, services
from sprechzeit.accounting.datev import accounts_movement
from sprechzeit.accounting.selectors import POSTED_KINDS, entity_accounts
from sprechzeit.accounting.vat import vat_return
from sprechzeit.accounts.models import Partner
from sprechzeit.accounts.vat_place import ClientVatCase
from sprechzeit.consultations.models import Consultation
from sprechzeit.consultations.simulation import simulate
from sprechzeit.core import clock
from sprechzeit.ledger.models import Transfer
from sprechzeit.ledger.tests.helpers import assert_ledger_sound
from sprechzeit.platforms.models import LegalEntity
from sprechzeit.statements import services as statements
from sprechzeit.statements.periods import period_parse
from sprechzeit.statements.tests.factories import tax_profile
from sprechzeit.statements.vat import VatStatus

pytestmark = pytest.mark.django_db


def ledger_movement(entity: LegalEntity, period: str) -> dict[int, int]:
    """Debits − credits per DATEV account of the entity's posted transfers in `period`,
    summed straight from the ledger's transfers: partner shares counted as expense, and
    the revenue of a consultation without German VAT on the account of its case."""
    start, end = period_parse(period).bounds()
    own = entity_accounts(legal_entity=entity).values("pk")
    cases = {
        f"consultation:{pk}": case
        for pk, case in Consultation.objects.values_list("pk", "vat_case")
    }
    revenue_of = {"reverse_charge": 8336, "not_taxable": 8338}
    totals: dict[int, int] = defaultdict(int)
    for debit, credit, amount, purpose, reference in (
        Transfer.objects.filter(kind__in=POSTED_KINDS, created_at__gte=start, created_at__lt=end)
        .filter(Q(debit_account__in=own) | Q(credit_account__in=own))
        .values_list(
            "debit_account__purpose", "credit_account__purpose", "amount", "purpose", "reference"
        )
    ):
        revenue = revenue_of.get(cases.get(reference, ""), 8200)
        debit_no = mapping.datev_account(kind=debit, chart="SKR03")
        credit_no = mapping.datev_account(kind=credit, chart="SKR03")
        if purpose == "consultation_partner":  # clearing → payable, shown as an expense
            debit_no = mapping.datev_account(kind=mapping.PARTNER_FEES, chart="SKR03")
            totals[revenue] -= amount
            totals[1590] += amount
        if purpose == "consultation_revenue":
            credit_no = revenue
        totals[debit_no] += amount
        totals[credit_no] -= amount
    return {account: total for account, total in totals.items() if total}


def test_simulated_month_exports_and_reconciles() -> None:
    report = simulate(platforms=2, partners=4, clients=6, days=31, seed=11, prefix="acc")
    assert report.ledger_ok
    for partner, status in zip(Partner.objects.order_by("pk"), list(VatStatus), strict=True):
        tax_profile(partner, status)
    with clock.frozen_at(datetime(2026, 2, 10, 9, tzinfo=UTC)):
        run = statements.statements_close(period="2026-01")
    assert run.held == 0
    assert run.issued >= 4
    entities = list(LegalEntity.objects.order_by("pk"))
    assert len(entities) == 2
    kz67 = kz21 = kz45 = 0
    for entity in entities:
        for period in ("2026-01", "2026-02"):
            batch = services.datev_batch(legal_entity=entity, period=period)
            assert accounts_movement(batch.rows, chart="SKR03") == ledger_movement(entity, period)
            figures = vat_return(legal_entity=entity, period=period)
            assert figures.reconciled, figures.lines()
            kz67 += figures.kz67_input
        january = vat_return(legal_entity=entity, period="2026-01")
        start, end = period_parse("2026-01").bounds()
        settled = Consultation.objects.filter(
            platform__legal_entity=entity,
            settled_at__gte=start,
            settled_at__lt=end,
            amount_minor__gt=0,
        )
        german = settled.filter(vat_case=ClientVatCase.DOMESTIC)
        assert january.kz81_tax == sum(c.vat_minor or 0 for c in german)
        assert january.kz81_basis == sum((c.amount_minor or 0) - (c.vat_minor or 0) for c in german)
        assert january.kz21_basis == sum(
            c.amount_minor or 0 for c in settled.filter(vat_case=ClientVatCase.REVERSE_CHARGE)
        )
        assert january.kz45_basis == sum(
            c.amount_minor or 0 for c in settled.filter(vat_case=ClientVatCase.NOT_TAXABLE)
        )
        assert january.kz81_tax > 0
        assert january.kz83_payable == january.kz81_tax  # § 13b owed and deducted alike
        kz21 += january.kz21_basis
        kz45 += january.kz45_basis
        # one revenue row with the 19 % key per consultation with German VAT
        rows = services.datev_batch(legal_entity=entity, period="2026-01").rows
        keyed = [row for row in rows if row.bu_key == "3"]
        assert sorted(row.amount_minor for row in keyed) == sorted(
            c.amount_minor or 0 for c in german
        )
    assert kz67 > 0  # the partners abroad were reverse charged
    assert kz21 > 0  # EU businesses
    assert kz45 > 0  # clients outside the EU
    assert_ledger_sound()
