"""The audit trail: one entry per call, JSON-safe values, and the database refuses to
change or delete an entry (on SQLite here, on PostgreSQL in the PostgreSQL pass)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.utils import DatabaseError

from sprechzeit.accounts.services import staff_create
from sprechzeit.audit.models import AuditEntry, QueueClaim
from sprechzeit.audit.selectors import history_for, owners_of
from sprechzeit.audit.services import AuditActionInvalid, audit_record, queue_claim
from sprechzeit.ledger.check import ledger_check
from sprechzeit.ledger.guard import insert_only_missing, insert_only_sql
from sprechzeit.platforms.tests.factories import platform_create

pytestmark = pytest.mark.django_db(transaction=True)


def _staff(role: str = "risk"):  # type: ignore[no-untyped-def]
    return staff_create(email=f"{role}@staff.example", password=None, role=role)


def test_an_entry_records_who_what_before_after_reason_and_address() -> None:
    actor = _staff()
    platform = platform_create()
    entry = audit_record(
        actor=actor,
        action="wallet.unblock",
        target=platform,
        before={"blocked": True, "since": date(2026, 11, 1), "amount": Decimal("1.50")},
        after={"blocked": False},
        reason="Rückbuchung geklärt",
        ip="203.0.113.5",
    )
    entry.refresh_from_db()
    assert entry.actor == actor
    assert entry.actor_label == "risk@staff.example"
    assert entry.actor_roles == "risk"
    assert entry.target_type == "platforms.platform"
    assert entry.target_id == str(platform.pk)
    assert entry.platform is None  # a platform has no platform of its own
    assert entry.before == {"blocked": True, "since": "2026-11-01", "amount": "1.50"}
    assert entry.after == {"blocked": False}
    assert entry.reason == "Rückbuchung geklärt"
    assert entry.ip == "203.0.113.5"
    assert list(history_for(platform)) == [entry]


@pytest.mark.parametrize("action", ["", "Block client", "a..b", "x" * 65])
def test_an_action_is_a_dotted_slug(action: str) -> None:
    with pytest.raises(AuditActionInvalid):
        audit_record(actor=None, action=action)
    assert AuditEntry.objects.count() == 0


def test_entries_cannot_be_changed_or_deleted() -> None:
    entry = audit_record(actor=_staff(), action="client.block", reason="original")
    with pytest.raises((IntegrityError, DatabaseError)), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).update(reason="rewritten")
    with pytest.raises((IntegrityError, DatabaseError)), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).delete()
    entry.refresh_from_db()
    assert entry.reason == "original"
    assert insert_only_missing("audit_auditentry") == []
    assert ledger_check().ok


def test_a_missing_trigger_is_reported_by_the_ledger_check() -> None:
    vendor = connection.vendor
    name = "audit_auditentry_insert_only" + ("_update" if vendor == "sqlite" else "")
    recreate = next(
        sql for sql in insert_only_sql("audit_auditentry", vendor)[0] if f"TRIGGER {name} " in sql
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"DROP TRIGGER {name}" + (" ON audit_auditentry" if vendor != "sqlite" else "")
        )
    try:
        report = ledger_check()
        assert any(name in line for line in report.violations)
    finally:
        with connection.cursor() as cursor:
            cursor.execute(recreate)
    assert ledger_check().ok


def test_claiming_a_queue_item_sets_its_owner_and_writes_one_entry() -> None:
    lead, other = _staff("risk"), _staff("support")
    platform = platform_create()
    queue_claim(actor=lead, target=platform, owner=lead)
    queue_claim(actor=lead, target=platform, owner=other)
    assert QueueClaim.objects.count() == 1
    assert owners_of([platform]) == {("platforms.platform", str(platform.pk)): other}
    entries = list(history_for(platform).order_by("id"))
    assert [(e.action, e.before, e.after) for e in entries] == [
        ("queue.claim", {"owner": None}, {"owner": "risk@staff.example"}),
        ("queue.claim", {"owner": "risk@staff.example"}, {"owner": "support@staff.example"}),
    ]
