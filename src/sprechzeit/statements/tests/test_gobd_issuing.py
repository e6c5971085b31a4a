"""Issuing under GoBD and § 14 UStG (#15 point 6): consent to self-billing per issuing
entity, the partner's objection (Widerspruch) cancelling a note, the six-month
deadline with its explicit override, and the tax status of the period."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction
from django.test import Client

from sprechzeit.accounts import roles
from sprechzeit.accounts.services import listing_create, staff_create
from sprechzeit.audit.selectors import history_for
from sprechzeit.core import clock
from sprechzeit.ledger.models import Transfer
from sprechzeit.ledger.tests.helpers import assert_ledger_sound
from sprechzeit.legal.selectors import self_billing_consent_for
from sprechzeit.platforms.tests.factories import platform_create
from sprechzeit.statements import errors, services
from sprechzeit.statements.issuing_rules import issue_deadline
from sprechzeit.statements.models import (
    Objection,
    PartnerTaxProfile,
    Statement,
    StatementSection,
)
from sprechzeit.statements.tests.factories import (
    at,
    busy_scene,
    self_billing_consent,
    settled,
    tax_profile,
)
from sprechzeit.statements.vat import VatStatus

pytestmark = pytest.mark.django_db


def test_issue_deadline_is_the_end_of_the_sixth_month_after() -> None:
    assert issue_deadline(date(2026, 1, 31)) == date(2026, 7, 31)
    assert issue_deadline(date(2026, 8, 31)) == date(2027, 2, 28)
    assert issue_deadline(date(2026, 12, 31)) == date(2027, 6, 30)
    assert issue_deadline(date(2026, 10, 15)) == date(2027, 4, 30)


def test_consent_counts_per_issuing_entity() -> None:
    """A partner on platforms of two operators agrees with each: without the second
    consent, the second operator's note is held naming it; the first is issued."""
    s = busy_scene(platform=platform_create(hosts=("zwei-betreiber.localhost",)))
    tax_profile(s.partner, VatStatus.REGULAR)  # consents for the first platform's entity
    other = platform_create(rate_min_minor=99, rate_max_minor=999)
    assert other.legal_entity_id != s.platform.legal_entity_id
    listing_create(partner=s.partner, platform=other, display_name="Bea B", rate_minor=199)
    settled(s, seconds=600, when=at(2026, 10, 5))
    with clock.frozen_at(at(2026, 11, 2)):
        run = services.statements_close(period="2026-10")
    assert (run.issued, run.held) == (1, 0)
    draft = Statement.objects.create(
        partner=s.partner,
        legal_entity=other.legal_entity,
        period_start=date(2026, 10, 1),
        period_end=date(2026, 10, 31),
        created_at=clock.now(),
    )
    StatementSection.objects.create(
        statement=draft,
        platform=other,
        consultations=1,
        billed_seconds=600,
        gross_minor=1990,
        share_minor=836,
    )
    with clock.frozen_at(at(2026, 11, 2)):
        held = services.statement_issue(statement_id=draft.pk)
    assert held.status == Statement.Status.HELD
    assert "Zustimmung zum Gutschriftsverfahren" in held.held_reason
    assert other.legal_entity.name in held.held_reason
    assert held.number is None
    # the partner page names the missing entity
    client = Client(HTTP_HOST="zwei-betreiber.localhost")
    client.force_login(s.partner.user)
    page = client.get("/partner/gutschriften/")
    assert page.status_code == 200
    assert other.legal_entity.name.encode() in page.content
    # consent to the second operator's agreement: the note is issued
    self_billing_consent(s.partner)
    consent = self_billing_consent_for(user=s.partner.user, legal_entity_id=other.legal_entity_id)
    assert consent is not None
    assert consent.document.platform == other
    with clock.frozen_at(at(2026, 11, 3)):
        (issued,) = services.statements_release_held()
    assert issued.status == Statement.Status.ISSUED
    assert_ledger_sound()


def _issued_note(status: VatStatus = VatStatus.REGULAR) -> tuple[Statement, Client]:
    platform = platform_create(hosts=("widerspruch.localhost",))
    s = busy_scene(platform=platform)
    tax_profile(s.partner, status)
    settled(s, seconds=1200, when=at(2026, 10, 5))
    with clock.frozen_at(at(2026, 11, 2)):
        services.statements_close(period="2026-10")
    note = Statement.objects.get(partner=s.partner)
    client = Client(HTTP_HOST="widerspruch.localhost")
    client.force_login(s.partner.user)
    return note, client


@pytest.mark.parametrize("status", [VatStatus.REGULAR, VatStatus.EU_REVERSE_CHARGE])
def test_partner_objects_to_a_note_from_the_portal(status: VatStatus) -> None:
    note, client = _issued_note(status)
    listing = client.get("/partner/gutschriften/")
    assert f"/partner/gutschriften/{note.pk}/widerspruch/".encode() in listing.content
    form = client.get(f"/partner/gutschriften/{note.pk}/widerspruch/")
    assert form.status_code == 200
    assert b"Widerspruch einlegen" in form.content
    empty = client.post(f"/partner/gutschriften/{note.pk}/widerspruch/", {"reason": "  "})
    assert empty.status_code == 200
    assert not Objection.objects.exists()
    with clock.frozen_at(at(2026, 11, 5)):
        page = client.post(
            f"/partner/gutschriften/{note.pk}/widerspruch/",
            {"reason": "Die Zahl der Beratungen stimmt nicht."},
        )
    assert page.status_code == 200
    objection = Objection.objects.get()
    assert objection.reason == "Die Zahl der Beratungen stimmt nicht."
    assert objection.partner == note.partner
    assert objection.ip == "127.0.0.1"
    note.refresh_from_db()
    assert note.status == Statement.Status.CANCELLED
    cancellation = objection.cancellation
    assert (cancellation.kind, cancellation.cancels) == (Statement.Kind.CANCELLATION, note)
    assert cancellation.gross_minor == -note.gross_minor
    assert str(cancellation.number).encode() in page.content
    # no replacement: the partner settles it with staff (or invoices themselves)
    assert not Statement.objects.filter(
        partner=note.partner, kind=Statement.Kind.CREDIT_NOTE, status=Statement.Status.ISSUED
    ).exists()
    # the VAT of the note is reversed (booked back the other way), the § 13b VAT too
    purpose = "credit_note_vat" if status == VatStatus.REGULAR else "credit_note_vat_13b"
    first, back = Transfer.objects.filter(purpose=purpose).order_by("created_at", "id")
    assert first.amount == back.amount > 0
    assert (back.debit_account_id, back.credit_account_id) == (
        first.credit_account_id,
        first.debit_account_id,
    )
    # a second objection changes nothing
    again = client.post(f"/partner/gutschriften/{note.pk}/widerspruch/", {"reason": "nochmal"})
    assert again.status_code == 200
    assert Objection.objects.count() == 1
    # the record is kept as it was (insert-only)
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE statements_objection SET reason = 'x' WHERE id = %s", [objection.pk])
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM statements_objection WHERE id = %s", [objection.pk])
    assert_ledger_sound()


def test_nobody_objects_to_another_partners_note() -> None:
    note, _client = _issued_note()
    other = busy_scene(platform=note.partner.listings.first().platform)  # type: ignore[union-attr]
    client = Client(HTTP_HOST="widerspruch.localhost")
    client.force_login(other.partner.user)
    page = client.post(f"/partner/gutschriften/{note.pk}/widerspruch/", {"reason": "fremd"})
    assert page.status_code == 404
    with pytest.raises(errors.ObjectionInvalid):
        services.statement_object(
            partner=other.partner, statement_id=note.pk, reason="fremd", ip=None
        )
    note.refresh_from_db()
    assert note.status == Statement.Status.ISSUED


def test_closing_past_the_deadline_needs_an_explicit_override() -> None:
    s = busy_scene()
    tax_profile(s.partner, VatStatus.REGULAR)
    settled(s, seconds=600, when=at(2026, 1, 5))
    with clock.frozen_at(at(2026, 8, 1)), pytest.raises(errors.PeriodPastDeadline):
        services.statements_close(period="2026-01")
    assert not Statement.objects.exists()
    with clock.frozen_at(at(2026, 8, 1)), pytest.raises(CommandError, match="past_deadline"):
        call_command("statements", "close", "--period", "2026-01")
    with clock.frozen_at(at(2026, 8, 1)):
        call_command(
            "statements", "close", "--period", "2026-01", "--late-override", "Nachholung Prüfung"
        )
    note = Statement.objects.get(partner=s.partner)
    assert note.status == Statement.Status.ISSUED
    assert note.data["late_override"] == "Nachholung Prüfung"
    assert_ledger_sound()


def test_a_held_note_is_not_released_past_the_deadline_without_override() -> None:
    s = busy_scene()
    settled(s, seconds=600, when=at(2026, 1, 5))
    with clock.frozen_at(at(2026, 2, 2)):
        services.statements_close(period="2026-01")  # no tax data: held
    tax_profile(s.partner, VatStatus.REGULAR)
    with clock.frozen_at(at(2026, 8, 3)):
        (still,) = services.statements_release_held()
    assert still.status == Statement.Status.HELD
    assert "Frist zur Ausstellung" in still.held_reason
    with clock.frozen_at(at(2026, 8, 3)):
        (issued,) = services.statements_release_held(late_override="Daten kamen spät")
    assert issued.status == Statement.Status.ISSUED
    assert issued.data["late_override"] == "Daten kamen spät"
    assert_ledger_sound()


def test_the_close_uses_the_tax_status_of_the_period() -> None:
    """Regular in October; small business from 10 November on: October's note, closed
    on 12 November, shows 19 % VAT, not the status declared since."""
    s = busy_scene()
    with clock.frozen_at(at(2026, 9, 1)):
        tax_profile(s.partner, VatStatus.REGULAR, vat_id="DE136695976")
    settled(s, seconds=1200, when=at(2026, 10, 5))
    with clock.frozen_at(at(2026, 11, 10)):
        services.tax_profile_save(
            partner=s.partner, vat_status=VatStatus.SMALL_BUSINESS, tax_number="1123456789"
        )
    assert PartnerTaxProfile.objects.get(partner=s.partner).vat_status == VatStatus.SMALL_BUSINESS
    with clock.frozen_at(at(2026, 11, 12)):
        services.statements_close(period="2026-10")
    note = Statement.objects.get(partner=s.partner)
    assert note.status == Statement.Status.ISSUED
    assert note.vat_status == VatStatus.REGULAR
    assert note.vat_minor > 0
    assert note.vat_minor == round(note.net_minor * 0.19)
    assert b"<ram:CategoryCode>S</ram:CategoryCode>" in bytes(note.xml or b"")
    assert_ledger_sound()


@pytest.mark.parametrize("how", [Objection.Resolution.REISSUED, Objection.Resolution.OWN_INVOICE])
def test_staff_resolve_an_objection_once_with_an_audit_entry(how: str) -> None:
    note, _client = _issued_note()
    with clock.frozen_at(at(2026, 11, 5)):
        objection = services.statement_object(
            partner=note.partner, statement_id=note.pk, reason="Falscher Zeitraum", ip=None
        )
    staff = staff_create(email="buchhaltung@example.com", password=None, role=roles.ACCOUNTING)
    assert staff.has_perm("statements.change_objection")
    with clock.frozen_at(at(2026, 11, 9)):
        resolved = services.objection_resolve(
            objection_id=objection.pk, actor=staff, resolution=how, note="RE-4711", ip="10.0.0.9"
        )
    assert resolved.resolution == how
    assert resolved.resolved_at is not None
    issued = Statement.objects.filter(
        partner=note.partner, kind=Statement.Kind.CREDIT_NOTE, status=Statement.Status.ISSUED
    )
    if how == Objection.Resolution.REISSUED:
        (replacement,) = issued
        assert resolved.replacement == replacement
        assert replacement.gross_minor == note.gross_minor
    else:
        assert not issued.exists()
        assert resolved.replacement is None
    (entry,) = history_for(resolved)
    assert (entry.action, entry.actor, entry.reason) == (
        "statement.objection_resolve",
        staff,
        "RE-4711",
    )
    with pytest.raises(errors.ObjectionInvalid):
        services.objection_resolve(objection_id=objection.pk, actor=staff, resolution=how)
    assert_ledger_sound()


def test_the_daily_close_skips_a_period_past_the_deadline_and_closes_the_later_ones() -> None:
    s = busy_scene()
    tax_profile(s.partner, VatStatus.REGULAR)
    settled(s, seconds=600, when=at(2026, 1, 5))  # never closed: past the deadline by August
    settled(s, seconds=600, when=at(2026, 7, 5))
    with clock.frozen_at(at(2026, 8, 2)), pytest.raises(errors.PeriodPastDeadline):
        services.statements_close_due()
    closed = {note.period_start.month for note in Statement.objects.filter(partner=s.partner)}
    assert 7 in closed
    assert 1 not in closed
    assert_ledger_sound()
