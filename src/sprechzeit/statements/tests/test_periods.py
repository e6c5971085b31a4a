"""Statement periods per issuing entity: months, quarters, half months — parsing, the
close of each (and only its entities), numbering across cadences, the documents, the
commands, the daily beat job and the portal."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, transaction
from django.test import Client
from lxml import etree
from pypdf import PdfReader

from sprechzeit.accounts.models import User
from sprechzeit.accounts.tests.factories import login_verified
from sprechzeit.core import clock
from sprechzeit.ledger.tests.helpers import assert_ledger_sound
from sprechzeit.platforms.models import LegalEntity, Platform, StatementPeriod
from sprechzeit.platforms.tests.factories import legal_entity_create, platform_create
from sprechzeit.statements import errors, services
from sprechzeit.statements.documents.validation import SchematronValidator, xsd_errors
from sprechzeit.statements.models import CloseRun, Statement
from sprechzeit.statements.periods import period_containing, period_parse
from sprechzeit.statements.tests.factories import at, busy_scene, settled, tax_profile
from sprechzeit.statements.vat import VatStatus

pytestmark = pytest.mark.django_db
RAM = "{urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100}"
UDT = "{urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100}"


def platform_billing(cadence: StatementPeriod, **entity: object) -> Platform:
    return platform_create(legal_entity=legal_entity_create(statement_period=cadence, **entity))


def pdf_text(statement: Statement) -> str:
    rendered = services.statement_render_pdf(statement_id=statement.pk)
    reader = PdfReader(io.BytesIO(bytes(rendered.pdf or b"")))
    return " ".join(page.extract_text() for page in reader.pages)


@pytest.mark.parametrize(
    ("text", "start", "end", "cadence", "label"),
    [
        ("2026-10", date(2026, 10, 1), date(2026, 10, 31), "monthly", "2026-10"),
        ("2026-02", date(2026, 2, 1), date(2026, 2, 28), "monthly", "2026-02"),
        (" 2026-12 ", date(2026, 12, 1), date(2026, 12, 31), "monthly", "2026-12"),
        ("2026-Q1", date(2026, 1, 1), date(2026, 3, 31), "quarterly", "2026-Q1"),
        ("2026-Q3", date(2026, 7, 1), date(2026, 9, 30), "quarterly", "2026-Q3"),
        ("2026-q4", date(2026, 10, 1), date(2026, 12, 31), "quarterly", "2026-Q4"),
        ("2026-10-H1", date(2026, 10, 1), date(2026, 10, 15), "half_monthly", "2026-10-H1"),
        ("2026-10-H2", date(2026, 10, 16), date(2026, 10, 31), "half_monthly", "2026-10-H2"),
        ("2028-02-h2", date(2028, 2, 16), date(2028, 2, 29), "half_monthly", "2028-02-H2"),
        ("2026-12-H2", date(2026, 12, 16), date(2026, 12, 31), "half_monthly", "2026-12-H2"),
    ],
)
def test_period_notation(text: str, start: date, end: date, cadence: str, label: str) -> None:
    period = period_parse(text)
    assert (period.start, period.end, str(period.cadence), period.label) == (
        start,
        end,
        cadence,
        label,
    )
    assert period_parse(period.label) == period


@pytest.mark.parametrize(
    "text",
    ["2026-13", "2026-00", "2026-Q0", "2026-Q5", "2026-10-H3", "2026-10-H", "26-10", "",
     "2026/10", "2026-10-15", "1999-12", "3000-01", "Oktober", "2026-W42", "2026-Q3-H1"],
)  # fmt: skip
def test_garbage_periods_are_refused(text: str) -> None:
    with pytest.raises(errors.PeriodInvalid) as caught:
        period_parse(text)
    assert "JJJJ-Qn" in str(caught.value.message)


def test_period_containing_and_previous() -> None:
    assert period_containing(cadence="quarterly", day=date(2027, 1, 5)).previous().label == (
        "2026-Q4"
    )
    assert period_containing(cadence="half_monthly", day=date(2026, 10, 16)).previous().label == (
        "2026-10-H1"
    )
    assert period_containing(cadence="half_monthly", day=date(2026, 11, 1)).previous().label == (
        "2026-10-H2"
    )
    assert period_containing(cadence="monthly", day=date(2026, 1, 1)).previous().label == (
        "2025-12"
    )


def test_quarterly_entity_closes_a_quarter(schematron: SchematronValidator) -> None:
    platform = platform_billing(StatementPeriod.QUARTERLY)
    s = busy_scene(platform=platform)
    profile = tax_profile(s.partner, VatStatus.REGULAR)
    july = settled(s, seconds=600, when=at(2026, 7, 1, 0))  # first hour of the quarter
    september = settled(s, seconds=900, when=at(2026, 9, 30, 23))  # last hour
    settled(s, seconds=300, when=at(2026, 10, 1, 1))  # next quarter
    # before the quarter has ended: refused; a month for a quarterly entity: refused
    with clock.frozen_at(at(2026, 9, 30, 23)), pytest.raises(errors.PeriodNotEnded):
        services.statements_close(period="2026-Q3")
    with clock.frozen_at(at(2026, 10, 2)), pytest.raises(errors.PeriodCadenceMismatch) as caught:
        services.statements_close(period="2026-09")
    assert "vierteljährlich" in str(caught.value.message)
    assert not Statement.objects.exists()
    with clock.frozen_at(at(2026, 10, 2)):
        run = services.statements_close(period="2026-Q3")
    assert (run.period_label, run.issued, run.period_end) == ("2026-Q3", 1, date(2026, 9, 30))
    statement = Statement.objects.get()
    assert (statement.period_start, statement.period_end) == (date(2026, 7, 1), date(2026, 9, 30))
    section = statement.sections.get()
    assert section.consultations == 2
    assert section.share_minor == (july.partner_share_minor or 0) + (
        september.partner_share_minor or 0
    )
    assert section.share_minor > 0
    assert statement.net_minor == section.share_minor
    assert statement.number == "GS-2026-000001"
    line = statement.data["lines"][0]
    assert line["name"] == f"Beratungsleistungen {platform.name} 3. Quartal 2026"
    # BG-14 of the e-invoice is the quarter
    xml = bytes(statement.xml or b"")
    period = etree.fromstring(xml).find(f".//{RAM}BillingSpecifiedPeriod")
    assert period is not None
    assert period.findtext(f"{RAM}StartDateTime/{UDT}DateTimeString") == "20260701"
    assert period.findtext(f"{RAM}EndDateTime/{UDT}DateTimeString") == "20260930"
    assert xsd_errors(xml) == []
    assert schematron.failures(xml) == []
    text = pdf_text(statement)
    assert "3. Quartal 2026 (01.07.2026 – 30.09.2026)" in text
    assert profile.legal_name in text
    with clock.frozen_at(at(2026, 10, 3)), pytest.raises(errors.PeriodAlreadyClosed):
        services.statements_close(period="2026-Q3")
    # the next quarter is not over yet
    with clock.frozen_at(at(2026, 12, 31, 23)), pytest.raises(errors.PeriodNotEnded):
        services.statements_close(period="2026-Q4")
    assert_ledger_sound()


def test_each_cadence_closes_only_its_entities_with_one_number_series_each() -> None:
    monthly = busy_scene(platform=platform_billing(StatementPeriod.MONTHLY))
    half = busy_scene(platform=platform_billing(StatementPeriod.HALF_MONTHLY))
    for s in (monthly, half):
        tax_profile(s.partner, VatStatus.SMALL_BUSINESS)
        settled(s, seconds=600, when=at(2026, 10, 15, 23))  # first half: until the 15th 24:00
        settled(s, seconds=300, when=at(2026, 10, 16, 0))  # second half
    with clock.frozen_at(at(2026, 10, 16, 3)):
        first = services.statements_close(period="2026-10-H1")
        with pytest.raises(errors.PeriodNotEnded):
            services.statements_close(period="2026-10-H2")
    assert first.issued == 1
    assert Statement.objects.get().partner == half.partner
    with clock.frozen_at(at(2026, 11, 1, 3)):
        second = services.statements_close(period="2026-10-H2")
        month = services.statements_close(period="2026-10")
    assert (second.issued, month.issued) == (1, 1)
    halves = Statement.objects.filter(partner=half.partner).order_by("period_start")
    assert [(h.period_label, h.number, h.sections.get().consultations) for h in halves] == [
        ("2026-10-H1", "GS-2026-000001", 1),
        ("2026-10-H2", "GS-2026-000002", 1),
    ]
    whole = Statement.objects.get(partner=monthly.partner)
    assert (whole.period_label, whole.number, whole.sections.get().consultations) == (
        "2026-10",
        "GS-2026-000001",  # its own entity's series
        2,
    )
    assert halves[1].data["lines"][0]["name"].endswith("16.10.–31.10.2026")
    assert sorted(CloseRun.objects.values_list("period_start", "period_end")) == [
        (date(2026, 10, 1), date(2026, 10, 15)),
        (date(2026, 10, 1), date(2026, 10, 31)),
        (date(2026, 10, 16), date(2026, 10, 31)),
    ]
    assert_ledger_sound()


def test_switching_cadence_mid_period_is_refused_until_a_boundary() -> None:
    platform = platform_billing(StatementPeriod.MONTHLY)
    s = busy_scene(platform=platform)
    tax_profile(s.partner, VatStatus.SMALL_BUSINESS)
    settled(s, seconds=600, when=at(2026, 7, 10))
    settled(s, seconds=600, when=at(2026, 8, 10))
    with clock.frozen_at(at(2026, 8, 2)):
        services.statements_close(period="2026-07")
    LegalEntity.objects.filter(pk=platform.legal_entity_id).update(
        statement_period=StatementPeriod.QUARTERLY
    )
    with clock.frozen_at(at(2026, 10, 2)), pytest.raises(errors.PeriodOverlaps) as caught:
        services.statements_close(period="2026-Q3")
    assert "2026-07" in str(caught.value.message)
    assert Statement.objects.count() == 1  # July's consultations are not billed twice
    assert not CloseRun.objects.filter(period_end=date(2026, 9, 30)).exists()
    # back to monthly for the rest of the quarter, then quarterly from Q4 on
    LegalEntity.objects.filter(pk=platform.legal_entity_id).update(
        statement_period=StatementPeriod.MONTHLY
    )
    with clock.frozen_at(at(2026, 10, 2)):
        services.statements_close(period="2026-08")
        services.statements_close(period="2026-09")
    LegalEntity.objects.filter(pk=platform.legal_entity_id).update(
        statement_period=StatementPeriod.QUARTERLY
    )
    settled(s, seconds=600, when=at(2026, 11, 10))
    with clock.frozen_at(at(2027, 1, 2)):
        run = services.statements_close(period="2026-Q4")
    assert run.issued == 1
    assert Statement.objects.count() == 3
    assert_ledger_sound()


def test_close_due_closes_the_latest_ended_period_of_each_cadence() -> None:
    for cadence in StatementPeriod:
        s = busy_scene(platform=platform_billing(cadence))
        tax_profile(s.partner, VatStatus.SMALL_BUSINESS)
        settled(s, seconds=600, when=at(2026, 9, 30))
        settled(s, seconds=600, when=at(2026, 10, 2))
    with clock.frozen_at(at(2026, 10, 1, 2)):
        runs = services.statements_close_due()
        assert services.statements_close_due() == []  # the same day again: nothing
    assert sorted(run.period_label for run in runs) == ["2026-09", "2026-09-H2", "2026-Q3"]
    with clock.frozen_at(at(2026, 10, 16, 2)):
        runs = services.statements_close_due()
    assert [run.period_label for run in runs] == ["2026-10-H1"]
    assert Statement.objects.filter(status=Statement.Status.ISSUED).count() == 4
    assert_ledger_sound()


def test_close_due_catches_up_missed_periods_in_order() -> None:
    """Beat was down for two months: the next daily run closes August, September and
    October, oldest first; the day after there is nothing to do."""
    s = busy_scene(platform=platform_billing(StatementPeriod.MONTHLY))
    tax_profile(s.partner, VatStatus.SMALL_BUSINESS)
    with clock.frozen_at(at(2026, 8, 2)):
        assert services.statements_close_due() == []  # nothing settled yet
    for month in (8, 9, 10):
        settled(s, seconds=600, when=at(2026, month, 10))
    with clock.frozen_at(at(2026, 11, 3, 2)):
        runs = services.statements_close_due()
        assert services.statements_close_due() == []
    assert [run.period_label for run in runs] == ["2026-08", "2026-09", "2026-10"]
    numbers = list(Statement.objects.order_by("period_start").values_list("period_start", "number"))
    assert [start.month for start, _number in numbers] == [8, 9, 10]
    issued = [str(number) for _start, number in numbers]
    assert issued == sorted(issued)  # numbered in period order
    assert_ledger_sound()


def test_close_due_does_not_reach_behind_a_cadence_switch() -> None:
    s = busy_scene(platform=platform_billing(StatementPeriod.MONTHLY))
    tax_profile(s.partner, VatStatus.SMALL_BUSINESS)
    settled(s, seconds=600, when=at(2026, 7, 10))
    with clock.frozen_at(at(2026, 8, 2)):
        assert [run.period_label for run in services.statements_close_due()] == ["2026-07"]
    LegalEntity.objects.filter(pk=s.platform.legal_entity_id).update(
        statement_period=StatementPeriod.QUARTERLY
    )
    settled(s, seconds=600, when=at(2026, 10, 10))
    with clock.frozen_at(at(2027, 1, 2)):
        # Q3 overlaps July's monthly close: the walk back stops at Q4.
        assert [run.period_label for run in services.statements_close_due()] == ["2026-Q4"]
    assert_ledger_sound()


def test_commands_take_each_notation_and_explain_bad_ones(tmp_path: Path) -> None:
    s = busy_scene(platform=platform_billing(StatementPeriod.QUARTERLY))
    tax_profile(s.partner, VatStatus.NON_EU)
    settled(s, seconds=600, when=at(2026, 8, 10))
    out = io.StringIO()
    with clock.frozen_at(at(2026, 10, 2)):
        call_command("statements", "close", "--period", "2026-Q3", stdout=out)
        assert "2026-Q3: 1 issued, 0 held of 1." in out.getvalue()
        for period, code in (
            ("2026-Q3", "period_already_closed"),
            ("2026-09", "period_cadence_mismatch"),
            ("2026-Q4", "period_not_ended"),
            ("Q3/2026", "period_invalid"),
        ):
            with pytest.raises(CommandError, match=code):
                call_command("statements", "close", "--period", period, stdout=io.StringIO())
        call_command(
            "statements", "export", "--period", "2026-Q3", "--out", str(tmp_path), stdout=out
        )
        with pytest.raises(CommandError, match="period_cadence_mismatch"):
            call_command("statements", "export", "--period", "2026-10-H1", "--out", str(tmp_path))
    statement = Statement.objects.get()
    written = sorted(path.name for path in tmp_path.iterdir())
    stem = f"{statement.legal_entity_id}_{statement.number}"
    assert written == [f"{stem}.pdf", f"{stem}.xml", f"{stem}_xrechnung.xml"]


def test_portal_shows_the_quarter_and_the_running_period() -> None:
    platform = platform_create(
        hosts=("quartal.localhost",),
        legal_entity=legal_entity_create(statement_period=StatementPeriod.QUARTERLY),
    )
    s = busy_scene(platform=platform)
    tax_profile(s.partner, VatStatus.SMALL_BUSINESS)
    settled(s, seconds=600, when=at(2026, 8, 10))
    with clock.frozen_at(at(2026, 10, 2)):
        services.statements_close(period="2026-Q3")
    settled(s, seconds=300, when=at(2026, 10, 5))
    client = Client(HTTP_HOST="quartal.localhost")
    client.force_login(s.partner.user)
    with clock.frozen_at(at(2026, 10, 6)):
        page = client.get("/partner/gutschriften/").content.decode()
    assert "3. Quartal 2026" in page
    assert "01.10.2026 – 31.12.2026" in page  # earnings so far in the running quarter
    assert "(1 Beratung)" in page


def test_staff_set_the_period_per_entity_and_see_it_on_the_runs() -> None:
    platform = platform_billing(StatementPeriod.QUARTERLY)
    s = busy_scene(platform=platform)
    tax_profile(s.partner, VatStatus.SMALL_BUSINESS)
    settled(s, seconds=600, when=at(2026, 8, 10))
    with clock.frozen_at(at(2026, 10, 2)):
        services.statements_close(period="2026-Q3")
    staff = Client()
    login_verified(staff, User.objects.create_superuser("chefin@example.com", "geheim-42-x"))
    entity = platform.legal_entity
    form = staff.get(f"/admin/platforms/legalentity/{entity.pk}/change/").content.decode()
    assert 'name="statement_period"' in form
    assert "vierteljährlich" in form
    assert "2026-Q3" in staff.get("/admin/statements/closerun/").content.decode()
    assert "2026-Q3" in staff.get("/admin/statements/statement/").content.decode()
    # an unknown value is refused by the form and by the database
    data = {
        field: getattr(entity, field)
        for field in ("name", "street", "postal_code", "city", "country", "email")
    }
    response = staff.post(
        f"/admin/platforms/legalentity/{entity.pk}/change/",
        {**data, "statement_period": "weekly"},
    )
    assert response.status_code == 200  # the form again, with the error
    entity.refresh_from_db()
    assert entity.statement_period == StatementPeriod.QUARTERLY
    with pytest.raises(IntegrityError), transaction.atomic():
        LegalEntity.objects.filter(pk=entity.pk).update(statement_period="weekly")
