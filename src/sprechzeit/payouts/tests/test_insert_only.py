"""GoBD at the database level (#15 point 6): booked and recorded records are
insert-only. UPDATE and DELETE go past the ORM here (raw SQL and queryset updates), so
only the triggers stand in the way; each allowed change (a number taken, a payout's
state moving, a run's file written once, an adjustment listed once) still works, and
`ledger check` names a trigger that is missing. Runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from sprechzeit.core import clock
from sprechzeit.core.money import Money
from sprechzeit.ledger.check import ledger_check
from sprechzeit.ledger.tests.helpers import assert_ledger_sound
from sprechzeit.payouts import lines, services
from sprechzeit.payouts.models import BankLine, Payout, PayoutRun
from sprechzeit.payouts.tests.factories import (
    Line,
    at,
    busy_scene,
    camt,
    close_month,
    paying_platform,
    settled,
    tax_profile,
)
from sprechzeit.statements import services as statements
from sprechzeit.statements.locks import numbers_take_against_duplicates
from sprechzeit.statements.models import Adjustment, NumberCounter, Statement, TaxProfileChange
from sprechzeit.statements.vat import VatStatus

pytestmark = pytest.mark.django_db


def refused(sql: str, params: list[int]) -> None:
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


def allowed(sql: str, params: list[int]) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


def _paid_month() -> tuple[PayoutRun, Payout, Statement]:
    platform = paying_platform()
    s = busy_scene(platform=platform)
    tax_profile(s.partner, VatStatus.REGULAR)
    settled(s, seconds=1800, when=at(2026, 10, 10))
    close_month()
    note = Statement.objects.get(partner=s.partner)
    with clock.frozen_at(at(2026, 11, 3)):
        run = services.payout_run_create(legal_entity=platform.legal_entity)
    return run, Payout.objects.get(run=run), note


def test_payout_runs_and_payouts_change_only_as_the_bank_answers() -> None:
    run, payout, note = _paid_month()
    # the run's file was written once; nothing of it changes now
    refused("UPDATE payouts_payoutrun SET total_minor = 1 WHERE id = %s", [run.pk])
    refused("UPDATE payouts_payoutrun SET file = NULL WHERE id = %s", [run.pk])
    refused("DELETE FROM payouts_payoutrun WHERE id = %s", [run.pk])
    # amount, IBAN, holder and id of a payout are frozen; it is never deleted
    refused("UPDATE payouts_payout SET amount_minor = 1 WHERE id = %s", [payout.pk])
    refused("UPDATE payouts_payout SET iban = 'DE89370400440532013000' WHERE id = %s", [payout.pk])
    refused("DELETE FROM payouts_payout WHERE id = %s", [payout.pk])
    refused("DELETE FROM payouts_payout_statements WHERE payout_id = %s", [payout.pk])
    # which statements it pays is written once
    refused(
        "UPDATE payouts_payout_statements SET statement_id = statement_id WHERE payout_id = %s",
        [payout.pk],
    )
    # the bank confirms it: in transit → confirmed is allowed (through the service)
    result = lines.payouts_import_camt(xml=camt([Line(str(note.number), note.gross_minor)]))
    assert result.confirmed == [note.number]
    payout.refresh_from_db()
    assert payout.status == Payout.Status.CONFIRMED
    # … but never back, nor a confirmed payout's amount
    refused("UPDATE payouts_payout SET status = 'in_transit' WHERE id = %s", [payout.pk])
    refused(
        "UPDATE payouts_payout SET status = 'returned', amount_minor = 2 WHERE id = %s",
        [payout.pk],
    )
    # a bank line is never changed or deleted
    line = BankLine.objects.get()
    refused("UPDATE payouts_bankline SET outcome = 'unmatched' WHERE id = %s", [line.pk])
    refused("DELETE FROM payouts_bankline WHERE id = %s", [line.pk])
    assert_ledger_sound()


def test_number_counter_only_counts_up() -> None:
    s = busy_scene()
    entity_id = s.platform.legal_entity_id
    with transaction.atomic():
        first = numbers_take_against_duplicates(legal_entity_id=entity_id, year=2026, count=3)
    with transaction.atomic():
        assert numbers_take_against_duplicates(legal_entity_id=entity_id, year=2026, count=1) == (
            first + 3
        )
    counter = NumberCounter.objects.get(legal_entity_id=entity_id, year=2026)
    refused("UPDATE statements_numbercounter SET last = last - 1 WHERE id = %s", [counter.pk])
    refused("UPDATE statements_numbercounter SET last = last WHERE id = %s", [counter.pk])
    refused("UPDATE statements_numbercounter SET year = 2027 WHERE id = %s", [counter.pk])
    refused("DELETE FROM statements_numbercounter WHERE id = %s", [counter.pk])
    allowed("UPDATE statements_numbercounter SET last = last + 1 WHERE id = %s", [counter.pk])
    counter.refresh_from_db()
    assert counter.last == first + 4


def test_adjustments_and_tax_history_are_insert_only() -> None:
    s = busy_scene()
    tax_profile(s.partner, VatStatus.REGULAR)
    change = TaxProfileChange.objects.filter(partner=s.partner).first()
    assert change is not None
    refused(
        "UPDATE statements_taxprofilechange SET vat_status = 'non_eu' WHERE id = %s", [change.pk]
    )
    refused("DELETE FROM statements_taxprofilechange WHERE id = %s", [change.pk])
    with clock.frozen_at(at(2026, 10, 6)):
        adjustment = statements.adjustment_create(
            partner=s.partner,
            platform=s.platform,
            kind=Adjustment.Kind.BONUS,
            amount=Money(500, "EUR"),
            description="Treuebonus",
        )
    refused("UPDATE statements_adjustment SET amount_minor = 5000 WHERE id = %s", [adjustment.pk])
    refused("UPDATE statements_adjustment SET description = 'x' WHERE id = %s", [adjustment.pk])
    refused("DELETE FROM statements_adjustment WHERE id = %s", [adjustment.pk])
    # the close lists it on a statement: NULL → the statement, once
    settled(s, seconds=600, when=at(2026, 10, 5))
    with clock.frozen_at(at(2026, 11, 2)):
        statements.statements_close(period="2026-10")
    adjustment.refresh_from_db()
    assert adjustment.statement is not None
    refused("UPDATE statements_adjustment SET statement_id = NULL WHERE id = %s", [adjustment.pk])
    assert_ledger_sound()


@pytest.mark.parametrize(
    "table",
    [
        "payouts_payout",
        "payouts_bankline",
        "statements_numbercounter",
        "statements_adjustment",
        "statements_taxprofilechange",
        "payments_bankstatement",
        "payments_bankentry",
    ],
)
def test_ledger_check_names_a_missing_trigger(table: str) -> None:
    assert ledger_check().ok
    postgres = connection.vendor == "postgresql"
    name = f"{table}_insert_only" if postgres else f"{table}_insert_only_update"
    suffix = f" ON {table}" if postgres else ""
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TRIGGER {name}{suffix}")
        report = ledger_check()
        assert not report.ok
        assert f"[insert-only triggers] {name} is missing" in report.violations
        transaction.set_rollback(True)
    assert ledger_check().ok  # the rollback brought it back
