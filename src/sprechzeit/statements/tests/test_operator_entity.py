"""The operator entity on its credit notes: a reverse-charge note needs the operator's
VAT ID (held until it is there), and every document names the register court and
number and the managing directors (§ 35a GmbHG), in the PDF and the XML."""

from __future__ import annotations

import io

import pytest
from lxml import etree
from pypdf import PdfReader

from sprechzeit.core import clock
from sprechzeit.ledger.models import Transfer
from sprechzeit.ledger.tests.helpers import assert_ledger_sound
from sprechzeit.statements import services
from sprechzeit.statements.documents.validation import SchematronValidator, xsd_errors
from sprechzeit.statements.models import Statement
from sprechzeit.statements.tests.factories import at, busy_scene, settled, tax_profile
from sprechzeit.statements.vat import VatStatus

pytestmark = pytest.mark.django_db
RAM = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"


@pytest.mark.parametrize("status", [VatStatus.EU_REVERSE_CHARGE, VatStatus.NON_EU])
def test_reverse_charge_note_is_held_without_the_operators_vat_id(status: VatStatus) -> None:
    s = busy_scene()
    entity = s.platform.legal_entity
    entity.vat_id = ""
    entity.save()
    tax_profile(s.partner, status)
    settled(s, seconds=600, when=at(2026, 10, 5))
    with clock.frozen_at(at(2026, 11, 2)):
        run = services.statements_close(period="2026-10")
    statement = Statement.objects.get(partner=s.partner)
    assert (run.issued, run.held) == (0, 1)
    assert statement.status == Statement.Status.HELD
    assert "USt-IdNr. des Betreibers" in statement.held_reason
    assert entity.name in statement.held_reason
    assert statement.number is None
    assert not Transfer.objects.filter(purpose="credit_note_vat_13b").exists()
    # once the operator's VAT ID is there, the held note is issued with it
    entity.vat_id = "DE123456789"
    entity.save()
    with clock.frozen_at(at(2026, 11, 3)):
        (issued,) = services.statements_release_held()
    assert issued.status == Statement.Status.ISSUED
    assert issued.data["buyer"]["vat_id"] == "DE123456789"
    booked = Transfer.objects.get(purpose="credit_note_vat_13b")
    assert booked.amount == (issued.net_minor * 19 + 50) // 100
    assert booked.metadata["tax_period"] == "2026-10"
    assert_ledger_sound()


def test_regular_and_small_business_notes_need_no_operator_vat_id() -> None:
    s = busy_scene()
    s.platform.legal_entity.vat_id = ""
    s.platform.legal_entity.save()
    tax_profile(s.partner, VatStatus.SMALL_BUSINESS)
    settled(s, seconds=600, when=at(2026, 10, 5))
    with clock.frozen_at(at(2026, 11, 2)):
        run = services.statements_close(period="2026-10")
    assert (run.issued, run.held) == (1, 0)
    assert_ledger_sound()


def test_every_document_names_register_and_managing_directors(
    schematron: SchematronValidator,
) -> None:
    s = busy_scene()
    entity = s.platform.legal_entity
    entity.register_entry = "Amtsgericht Berlin-Charlottenburg HRB 123456 B"
    entity.managing_directors = "Dr. Anna Beispiel, Bernd Muster"
    entity.save()
    tax_profile(s.partner, VatStatus.EU_REVERSE_CHARGE)
    settled(s, seconds=600, when=at(2026, 10, 5))
    with clock.frozen_at(at(2026, 11, 2)):
        services.statements_close(period="2026-10")
    note = Statement.objects.get(partner=s.partner)
    with clock.frozen_at(at(2026, 11, 4)):
        cancellation, replacement = services.statement_cancel(statement=note)
    assert replacement is not None
    for statement in (note, cancellation, replacement):
        statement = services.statement_render_pdf(statement_id=statement.pk)
        assert statement.pdf is not None
        reader = PdfReader(io.BytesIO(bytes(statement.pdf)))
        text = " ".join(page.extract_text() for page in reader.pages)
        for needle in (
            "Registergericht und -nummer",
            "Amtsgericht Berlin-Charlottenburg HRB 123456 B",
            "Geschäftsführung",
            "Dr. Anna Beispiel, Bernd Muster",
            f"Sitz: {entity.city}",
        ):
            assert needle in text, (statement.number, needle)
        assert statement.xml is not None
        xml = bytes(statement.xml)
        assert xsd_errors(xml) == []
        assert schematron.failures(xml) == []
        buyer = etree.fromstring(xml).find(f".//{{{RAM}}}BuyerTradeParty")
        assert buyer is not None
        registered = buyer.findtext(f"{{{RAM}}}SpecifiedLegalOrganization/{{{RAM}}}ID")
        assert registered == "Amtsgericht Berlin-Charlottenburg HRB 123456 B"
    assert_ledger_sound()


def test_note_failing_the_schematron_is_held_with_the_reason() -> None:
    """The operator entity's name is empty: the XSD accepts the empty BT-44, the
    EN 16931 Schematron (BR-07) does not, so the note is held, takes no number and
    books nothing."""
    s = busy_scene()
    entity = s.platform.legal_entity
    name = entity.name
    entity.name = ""
    entity.save()
    tax_profile(s.partner, VatStatus.REGULAR)
    settled(s, seconds=600, when=at(2026, 10, 5))
    with clock.frozen_at(at(2026, 11, 2)):
        run = services.statements_close(period="2026-10")
    statement = Statement.objects.get(partner=s.partner)
    assert (run.issued, run.held) == (0, 1)
    assert statement.status == Statement.Status.HELD
    assert statement.held_reason.startswith("Die E-Rechnung besteht die Prüfung nach EN 16931")
    assert "BR-07" in statement.held_reason
    assert statement.number is None
    assert statement.xml is None
    assert not Transfer.objects.filter(purpose__startswith="credit_note_vat").exists()
    assert_ledger_sound()
    # fixed: released with the series' first number (the failed run took none)
    entity.name = name
    entity.save()
    with clock.frozen_at(at(2026, 11, 3)):
        (issued,) = services.statements_release_held()
    assert issued.status == Statement.Status.ISSUED
    assert issued.held_reason == ""
    assert issued.number_seq == 1
    assert_ledger_sound()
