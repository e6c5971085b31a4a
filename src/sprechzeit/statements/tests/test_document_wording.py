"""What the PDF prints (#15 point 5): a cancellation's lines carry the sign of its
negative totals and it promises no payout; a § 19 note shows no VAT line at all; the
XMP metadata's descriptions name their resource (PDF/A-3); the XRechnung flavour is
archived at issue and frozen like the ZUGFeRD XML."""

from __future__ import annotations

import hashlib
import io
import re
from typing import Any

import pytest
from django.db import DatabaseError, transaction
from django.test import Client
from lxml import etree

from sprechzeit.core import clock
from sprechzeit.statements import services
from sprechzeit.statements.documents.pdf import RDF, statement_html
from sprechzeit.statements.documents.validation import xsd_errors
from sprechzeit.statements.models import Statement
from sprechzeit.statements.tests.factories import at, busy_scene, settled, tax_profile
from sprechzeit.statements.vat import VatStatus

pytestmark = pytest.mark.django_db


def issued(*statuses: VatStatus) -> list[Statement]:
    """One credit note per status, October closed once."""
    scenes = [busy_scene() for _ in statuses]
    for s, status in zip(scenes, statuses, strict=True):
        tax_profile(s.partner, status)
        settled(s, seconds=900, when=at(2026, 10, 5))
    with clock.frozen_at(at(2026, 11, 2)):
        services.statements_close(period="2026-10")
    return [
        Statement.objects.get(partner=s.partner, kind=Statement.Kind.CREDIT_NOTE) for s in scenes
    ]


def amounts(html: str) -> list[str]:
    """The money printed in the amount columns (not their headings)."""
    cells = re.findall(r'class="amount">(?:<strong>)?([^<]+)<', html)
    return [cell for cell in cells if "€" in cell]


def test_a_cancellation_prints_negative_lines_and_no_payout_sentence() -> None:
    (note,) = issued(VatStatus.REGULAR)
    with clock.frozen_at(at(2026, 11, 5)):
        cancellation, _replacement = services.statement_cancel(statement=note, reissue=False)
    html = statement_html(cancellation.data)
    printed = amounts(html)
    assert printed
    assert all(value.startswith("-") for value in printed), printed
    assert "Auszahlung per SEPA-Überweisung an" not in html
    assert "Auszahlung per SEPA-Überweisung an" in statement_html(note.data)


def test_a_small_business_note_shows_no_vat_line() -> None:
    small, regular = issued(VatStatus.SMALL_BUSINESS, VatStatus.REGULAR)
    html = statement_html(small.data)
    assert "Umsatzsteuer (E)" not in html
    assert "Umsatzsteuer" not in re.sub(r"<div class=\"note\">.*", "", html, flags=re.S)
    assert "§ 19 UStG" in html
    assert "Umsatzsteuer 19 %" in statement_html(regular.data)


def test_the_pdf_xmp_names_its_resource_and_keeps_the_invoice() -> None:
    from facturx import get_xml_from_pdf  # noqa: PLC0415 (heavy)
    from pypdf import PdfReader  # noqa: PLC0415 (heavy)

    (note,) = issued(VatStatus.REGULAR)
    note = services.statement_render_pdf(statement_id=note.pk)
    pdf = bytes(note.pdf or b"")
    metadata: Any = PdfReader(io.BytesIO(pdf)).root_object["/Metadata"].get_object()
    xmp = metadata.get_data()
    assert xmp.startswith(b"<?xpacket begin=")
    root = etree.fromstring(xmp)
    descriptions = list(root.iter(f"{{{RDF}}}Description"))
    assert len(descriptions) >= 4
    assert all(d.get(f"{{{RDF}}}about") == "" for d in descriptions)
    assert b"factur-x" in xmp.lower() or b"fx:" in xmp
    _name, xml = get_xml_from_pdf(pdf, check_xsd=False)
    assert xml == bytes(note.xml or b"")


def test_the_xrechnung_is_archived_at_issue_and_frozen() -> None:
    (note,) = issued(VatStatus.EU_REVERSE_CHARGE)
    assert note.xrechnung is not None
    archived = bytes(note.xrechnung)
    assert hashlib.sha256(archived).hexdigest() == note.xrechnung_sha256
    assert b"urn:xeinkauf.de:kosit:xrechnung_3.0" in archived
    assert xsd_errors(archived) == []
    # what the partner downloads and the export writes is the archived document
    client = Client()
    client.force_login(note.partner.user)
    response = client.get(f"/partner/gutschriften/{note.pk}/xrechnung/")
    assert response.status_code == 200
    assert response.content == archived
    # …and the database refuses to change it
    for change in ({"xrechnung": b"<x/>"}, {"xrechnung_sha256": "0" * 64}):
        with pytest.raises(DatabaseError), transaction.atomic():
            Statement.objects.filter(pk=note.pk).update(**change)
    # a cancellation archives its own
    with clock.frozen_at(at(2026, 11, 5)):
        cancellation, _none = services.statement_cancel(statement=note, reissue=False)
    assert cancellation.xrechnung is not None
    assert b"<ram:TypeCode>384</ram:TypeCode>" in bytes(cancellation.xrechnung)
