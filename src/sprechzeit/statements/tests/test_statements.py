"""Period close, issuing, numbering, immutability, cancellation and the documents."""

from __future__ import annotations

import io
from dataclasses import replace
from pathlib import Path

import pytest
from django.db import DatabaseError, transaction
from lxml import etree
from pypdf import PdfReader

from sprechzeit.accounts.services import listing_create
from sprechzeit.core import clock
from sprechzeit.core.money import Money
from sprechzeit.ledger.selectors import account_balance
from sprechzeit.ledger.tests.helpers import assert_ledger_sound
from sprechzeit.platforms.tests.factories import platform_create
from sprechzeit.statements import errors, services
from sprechzeit.statements.documents.cii import cii_xml
from sprechzeit.statements.documents.validation import SchematronValidator, xsd_errors
from sprechzeit.statements.models import Adjustment, CloseRun, Statement
from sprechzeit.statements.services import close as closing
from sprechzeit.statements.tests.factories import at, busy_scene, settled, tax_profile
from sprechzeit.statements.vat import VatStatus
from sprechzeit.wallets import services as wallets

pytestmark = pytest.mark.django_db
SAMPLES = Path("/work/shared/compliance-samples/ours/cii")
INVALID = SAMPLES / "INVALID_br-co-15_grandtotal.xml"


def blob(value: bytes | memoryview | None) -> bytes:
    assert value is not None
    return bytes(value)


def close(period: str = "2026-10") -> CloseRun:
    with clock.frozen_at(at(2026, 11, 2)):
        return services.statements_close(period=period)


def assert_valid(xml: bytes, schematron: SchematronValidator, *, xrechnung: bool = False) -> None:
    assert xsd_errors(xml) == []
    failures = schematron.failures(xml)
    if xrechnung:  # the Factur-X rules refuse the XRechnung guideline id (BT-24) only
        failures = [failure for failure in failures if failure.id != "FX-SCH-A-000556"]
    assert failures == [], failures


def test_validator_rejects_the_invalid_grand_total(schematron: SchematronValidator) -> None:
    xml = INVALID.read_bytes()
    assert xsd_errors(xml) == []  # schema-valid, but the sums do not add up
    ids = {failure.id for failure in schematron.failures(xml)}
    assert {"BR-CO-15", "BR-CO-16"} <= ids


@pytest.mark.parametrize("status", list(VatStatus))
def test_close_issues_valid_documents_per_vat_case(
    status: VatStatus, schematron: SchematronValidator
) -> None:
    first = busy_scene()
    # the same partner on a second platform of the same operator: a second section
    second = busy_scene(platform=platform_create(legal_entity=first.platform.legal_entity))

    listing = listing_create(
        partner=first.partner, platform=second.platform, display_name="Bea Zwei", rate_minor=150
    )
    tax_profile(first.partner, status)
    a = settled(first, seconds=600, when=at(2026, 10, 5))
    b = settled(first, seconds=61, when=at(2026, 10, 31, 23))
    other = replace(second, partner=first.partner, listing=listing)
    c = settled(other, seconds=300, when=at(2026, 10, 20))
    settled(first, seconds=120, when=at(2026, 11, 1, 1))  # next period
    run = close()
    assert run.status == CloseRun.Status.DONE
    statement = Statement.objects.get(partner=first.partner)
    assert statement.status == Statement.Status.ISSUED
    assert statement.number == f"GS-2026-{1:06d}"
    shares = sum(x.partner_share_minor or 0 for x in (a, b, c))
    assert statement.net_minor == shares
    assert statement.sections.count() == 2
    seconds = {section.platform_id: section.billed_seconds for section in statement.sections.all()}
    assert seconds == {first.platform.pk: 661, second.platform.pk: 300}
    expected_vat = (shares * 19 + 50) // 100 if status == VatStatus.REGULAR else 0
    assert statement.vat_minor == expected_vat
    xml = blob(statement.xml)
    assert_valid(xml, schematron)
    tree = etree.fromstring(xml)
    ns = {
        "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
    }
    assert tree.findtext(".//ram:TypeCode", namespaces=ns) == "389"
    assert_valid(cii_xml(statement.data, flavour="xrechnung"), schematron, xrechnung=True)
    # the payable holds the shares plus (regular case) the VAT owed to the partner
    payable = wallets.partner_payable_account(partner=first.partner, currency="EUR")
    with clock.frozen_at(at(2026, 11, 2)):
        balance = account_balance(account=payable).posted.minor
    settled_after = balance - shares - expected_vat
    assert settled_after > 0  # the November consultation
    assert_ledger_sound()


def test_pdf_has_the_mandatory_fields_and_the_xml(schematron: SchematronValidator) -> None:
    s = busy_scene()
    profile = tax_profile(s.partner, VatStatus.REGULAR)
    settled(s, seconds=600, when=at(2026, 10, 5))
    close()
    statement = Statement.objects.get(partner=s.partner)
    statement = services.statement_render_pdf(statement_id=statement.pk)
    reader = PdfReader(io.BytesIO(blob(statement.pdf)))
    text = " ".join(page.extract_text() for page in reader.pages)
    for needle in (
        "Gutschrift",
        statement.number,
        profile.legal_name,
        profile.vat_id,
        statement.legal_entity.name,
        "01.10.2026",
        "31.10.2026",
        "02.11.2026",
        s.platform.name,
        "19",
        profile.iban,
        "§ 14 Abs. 2",
    ):
        assert needle, needle
        assert needle in text, needle
    attachments = reader.attachments
    assert "factur-x.xml" in attachments
    assert attachments["factur-x.xml"][0] == blob(statement.xml)
    assert_valid(attachments["factur-x.xml"][0], schematron)


def test_partner_without_data_is_held_then_issued() -> None:
    s = busy_scene()
    settled(s, seconds=300, when=at(2026, 10, 5))
    run = close()
    statement = Statement.objects.get(partner=s.partner)
    assert statement.status == Statement.Status.HELD
    assert "Steuer- und Bankdaten fehlen" in statement.held_reason
    assert (run.issued, run.held) == (0, 1)
    tax_profile(s.partner, VatStatus.SMALL_BUSINESS)
    with clock.frozen_at(at(2026, 11, 3)):
        (issued,) = services.statements_release_held()
    assert issued.status == Statement.Status.ISSUED
    assert issued.number == "GS-2026-000001"
    assert_ledger_sound()


def test_bad_periods() -> None:
    with clock.frozen_at(at(2026, 10, 31, 23)), pytest.raises(errors.PeriodNotEnded):
        services.statements_close(period="2026-10")
    with pytest.raises(errors.PeriodInvalid):
        services.statements_close(period="2026-13")
    close()
    with pytest.raises(errors.PeriodAlreadyClosed):
        close()


def test_invalid_tax_data_is_refused() -> None:
    s = busy_scene()
    with pytest.raises(errors.TaxProfileInvalid) as caught:
        tax_profile(s.partner, iban="DE00120300000000202051", vat_id="DE000000000")
    assert {"iban", "vat_id"} <= set(caught.value.fields)


def test_crash_midway_then_rerun_issues_each_document_once(monkeypatch: pytest.MonkeyPatch) -> None:
    platform = platform_create()
    scenes = [busy_scene(platform=platform) for _ in range(4)]
    for s in scenes:
        tax_profile(s.partner)
        settled(s, seconds=120, when=at(2026, 10, 10))
    real = services.statements_issue
    calls = {"n": 0}

    def dying(*, statement_ids: list[int], late_override: str = "") -> list[Statement]:
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("worker killed")
        return real(statement_ids=statement_ids, late_override=late_override)

    monkeypatch.setattr(closing, "ISSUE_CHUNK", 1)
    monkeypatch.setattr(closing, "statements_issue", dying)
    with pytest.raises(RuntimeError):
        close()
    assert CloseRun.objects.get().status == CloseRun.Status.FAILED
    assert Statement.objects.filter(status=Statement.Status.ISSUED).count() == 2
    monkeypatch.setattr(closing, "statements_issue", real)
    run = close()
    assert (run.status, run.issued) == (CloseRun.Status.DONE, 4)
    numbers = sorted(str(number) for number in Statement.objects.values_list("number", flat=True))
    assert numbers == [f"GS-2026-{n:06d}" for n in range(1, 5)]
    assert_ledger_sound()


def test_issued_documents_are_immutable_in_the_database() -> None:
    s = busy_scene()
    tax_profile(s.partner)
    settled(s, seconds=120, when=at(2026, 10, 10))
    close()
    statement = Statement.objects.get(partner=s.partner)
    for change in (
        {"net_minor": 1, "gross_minor": 1, "vat_minor": 0},
        {"xml": b"<x/>"},
        {"status": "draft"},
    ):
        with pytest.raises(DatabaseError), transaction.atomic():
            Statement.objects.filter(pk=statement.pk).update(**change)
    with pytest.raises(DatabaseError), transaction.atomic():
        Statement.objects.filter(pk=statement.pk).delete()
    with pytest.raises(DatabaseError), transaction.atomic():
        statement.sections.update(share_minor=1)
    # the PDF may be stored once, never replaced
    statement = services.statement_render_pdf(statement_id=statement.pk)
    with pytest.raises(DatabaseError), transaction.atomic():
        Statement.objects.filter(pk=statement.pk).update(pdf=b"%PDF-forged")


def test_cancel_then_reissue(schematron: SchematronValidator) -> None:
    s = busy_scene()
    tax_profile(s.partner)
    settled(s, seconds=600, when=at(2026, 10, 10))
    with clock.frozen_at(at(2026, 10, 20)):
        services.adjustment_create(
            partner=s.partner,
            platform=s.platform,
            kind=Adjustment.Kind.BONUS,
            amount=Money(500),
            description="Treuebonus",
        )
    close()
    original = Statement.objects.get(partner=s.partner)
    assert any(line["kind"] == "adjustment" for line in original.data["lines"])
    payable = wallets.partner_payable_account(partner=s.partner, currency="EUR")
    before = account_balance(account=payable).posted.minor
    with clock.frozen_at(at(2026, 11, 5)):
        cancellation, replacement = services.statement_cancel(statement=original)
    original.refresh_from_db()
    assert original.status == Statement.Status.CANCELLED
    assert cancellation.kind == "384"
    assert cancellation.gross_minor == -original.gross_minor
    assert (cancellation.number, replacement and replacement.number) == (
        "GS-2026-000002",
        "GS-2026-000003",
    )
    assert replacement is not None
    assert replacement.gross_minor == original.gross_minor
    assert_valid(blob(cancellation.xml), schematron)
    assert account_balance(account=payable).posted.minor == before
    assert_ledger_sound()
