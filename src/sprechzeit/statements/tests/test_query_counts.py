"""Pinned query counts of `statements_issue` for realistic credit notes (three platform
sections and two adjustments each, regular VAT, so the VAT is booked), so a future N+1
fails here. Exact per backend; pinned for two chunk sizes, so what one more statement
costs is pinned too (today the partner's payable and the VAT account are looked up per
statement)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.db import connection

from sprechzeit.accounts.tests.factories import partner_with_listing
from sprechzeit.core import clock
from sprechzeit.core.money import Money
from sprechzeit.ledger.tests.helpers import assert_ledger_sound
from sprechzeit.platforms.models import Platform
from sprechzeit.platforms.tests.factories import platform_create
from sprechzeit.statements import services
from sprechzeit.statements.models import Adjustment, Statement, StatementSection
from sprechzeit.statements.tests.factories import at, tax_profile

pytestmark = pytest.mark.django_db

# statements issued in one call → queries (each more statement: two account look-ups;
# the savepoint that gives numbers back when a note fails its checks: two; the tax
# status history and the self-billing consents of the chunk: one each)
QUERIES = {
    "sqlite": {2: 31, 4: 35},
    "postgresql": {2: 28, 4: 32},
}


def _platforms() -> list[Platform]:
    first = platform_create()
    return [first, *(platform_create(legal_entity=first.legal_entity) for _ in range(2))]


def _draft(platforms: list[Platform]) -> Statement:
    """A draft as the close leaves it: a section per platform, two adjustments."""
    partner, _listing = partner_with_listing(platform=platforms[0])
    tax_profile(partner)
    statement = Statement.objects.create(
        partner=partner,
        legal_entity=platforms[0].legal_entity,
        period_start=date(2026, 10, 1),
        period_end=date(2026, 10, 31),
        created_at=clock.now(),
    )
    StatementSection.objects.bulk_create(
        StatementSection(
            statement=statement,
            platform=platform,
            consultations=3 + n,
            billed_seconds=600 + 61 * n,
            gross_minor=1990 + 199 * n,
            share_minor=836 + 84 * n,
        )
        for n, platform in enumerate(platforms)
    )
    for kind, minor, text in (
        (Adjustment.Kind.BONUS, 500, "Treuebonus"),
        (Adjustment.Kind.REVERSAL, -120, "Kulanz für Kundin"),
    ):
        adjustment = services.adjustment_create(
            partner=partner,
            platform=platforms[1],
            kind=kind,
            amount=Money(minor, "EUR"),
            description=text,
        )
        Adjustment.objects.filter(pk=adjustment.pk).update(statement=statement)
    return statement


@pytest.mark.parametrize("count", [2, 4])
def test_statements_issue_query_count(count: int, django_assert_num_queries: Any) -> None:
    platforms = _platforms()
    ids = [_draft(platforms).pk for _ in range(count)]
    expected = QUERIES[connection.vendor][count]
    with clock.frozen_at(at(2026, 11, 2)), django_assert_num_queries(expected):
        issued = services.statements_issue(statement_ids=ids)
    assert [statement.status for statement in issued] == [Statement.Status.ISSUED] * count
    assert [statement.number for statement in issued] == [
        f"GS-2026-{n:06d}" for n in range(1, count + 1)
    ]
    first = Statement.objects.get(pk=ids[0])
    assert len(first.data["lines"]) == 5
    assert first.vat_minor > 0
    assert_ledger_sound()
