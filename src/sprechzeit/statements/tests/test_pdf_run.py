"""The month-end PDF run (#19 goal 4): `statements_render_pdfs` renders every missing PDF
once, in chunks, inline or over worker processes; a statement that fails is reported
and the others are stored; the command and the Celery task are its two edges. And the
PDF itself: PDF/A-3b with the issued XML attached as the Factur-X invoice (`Data`),
the Factur-X XMP and its extension schema in the one `rdf:RDF`, every font embedded."""

from __future__ import annotations

import hashlib
import io
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from lxml import etree
from pypdf import PdfReader

from sprechzeit.core import clock
from sprechzeit.ledger.tests.helpers import assert_ledger_sound
from sprechzeit.statements import services, tasks
from sprechzeit.statements.documents import pdf as pdf_documents
from sprechzeit.statements.documents.pdf import FX, RDF
from sprechzeit.statements.models import Statement
from sprechzeit.statements.tests.factories import at, busy_scene, settled, tax_profile
from sprechzeit.statements.vat import VatStatus

PDFAID = "http://www.aiim.org/pdfa/ns/id/"
PDFA_SCHEMA = "http://www.aiim.org/pdfa/ns/schema#"
DC = "http://purl.org/dc/elements/1.1/"


def issued_notes(count: int) -> list[Statement]:
    """`count` credit notes of October (one partner each, the VAT cases in turn)."""
    statuses = list(VatStatus)
    scenes = [busy_scene() for _ in range(count)]
    for n, s in enumerate(scenes):
        tax_profile(s.partner, statuses[n % len(statuses)])
        settled(s, seconds=600 + 60 * n, when=at(2026, 10, 5))
    with clock.frozen_at(at(2026, 11, 2)):
        services.statements_close(period="2026-10")
    return list(Statement.objects.filter(kind=Statement.Kind.CREDIT_NOTE).order_by("pk"))


def stored(note: Statement) -> bytes:
    """The stored PDF, after checking it is a PDF carrying its hash and the issued XML."""
    note.refresh_from_db()
    pdf = bytes(note.pdf or b"")
    assert pdf.startswith(b"%PDF-")
    assert hashlib.sha256(pdf).hexdigest() == note.pdf_sha256
    assert PdfReader(io.BytesIO(pdf)).attachments["factur-x.xml"] == [bytes(note.xml or b"")]
    return pdf


@pytest.mark.django_db
def test_the_run_stores_each_pdf_once_and_reports_the_failed_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    notes = issued_notes(3)
    broken = notes[1]
    render = pdf_documents.statement_pdf

    def failing_for_one(*, data: dict[str, Any], xml: bytes) -> bytes:
        if data["buyer_reference"] == broken.data["buyer_reference"]:
            raise RuntimeError("layout failed")
        return render(data=data, xml=xml)

    monkeypatch.setattr(pdf_documents, "statement_pdf", failing_for_one)
    seen: list[tuple[int, int]] = []
    run = services.statements_render_pdfs(
        processes=1, chunk_size=2, progress=lambda done, total: seen.append((done, total))
    )
    assert (run.rendered, run.processes, seen) == (2, 1, [(2, 3), (3, 3)])
    assert run.failed == {broken.pk: "RuntimeError: layout failed"}
    first = {note.pk: stored(note) for note in (notes[0], notes[2])}
    broken.refresh_from_db()
    assert broken.pdf is None
    # the command reports the failure (exit status) after storing what it could
    out = io.StringIO()
    with pytest.raises(CommandError, match="1 PDF\\(s\\) failed"):
        call_command("statements", "render-pdfs", "--processes", "1", stdout=out, stderr=out)
    assert f"statement {broken.pk}: RuntimeError: layout failed" in out.getvalue()

    monkeypatch.undo()
    out = io.StringIO()
    call_command("statements", "render-pdfs", "--processes", "1", stdout=out)
    assert "1 PDF(s) rendered (1 process(es))." in out.getvalue()
    stored(broken)
    # the others were not rendered again: the stored bytes are the first ones
    assert {pk: stored(Statement.objects.get(pk=pk)) for pk in first} == first
    assert services.statements_render_pdfs(processes=2) == services.PdfRun()
    assert_ledger_sound()


@pytest.mark.django_db
def test_the_task_dispatches_chunks_and_a_doubled_dispatch_renders_nothing() -> None:
    notes = issued_notes(2)
    assert tasks.statements_render_pdfs() == 2  # eager here: the chunks ran inline
    pdfs = [stored(note) for note in notes]
    assert tasks.statements_render_pdf_chunk([note.pk for note in notes]) == 0
    assert [stored(note) for note in notes] == pdfs


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_worker_processes_render_on_the_same_database() -> None:
    notes = issued_notes(3)
    run = services.statements_render_pdfs(processes=2, chunk_size=1)
    assert (run.rendered, run.failed, run.processes) == (3, {}, 2)
    for note in notes:
        stored(note)
    assert_ledger_sound()


def _xmp_values(rdf: Any, namespace: str, name: str) -> list[str]:
    """A simple XMP property written either as an attribute of a description or as an
    element (WeasyPrint writes some one way, some the other)."""
    tag = f"{{{namespace}}}{name}"
    found = [d.get(tag) for d in rdf.iter(f"{{{RDF}}}Description") if d.get(tag) is not None]
    return found + [element.text or "" for element in rdf.iter(tag)]


@pytest.mark.django_db
def test_the_pdf_is_pdfa3_with_the_invoice_attached_as_data() -> None:
    (note,) = issued_notes(1)
    reader = PdfReader(io.BytesIO(stored(services.statement_render_pdf(statement_id=note.pk))))
    catalog: Any = reader.trailer["/Root"]
    # ZUGFeRD/Factur-X: the XML is the document's associated file, relationship Data
    (reference,) = catalog["/AF"]
    filespec = reference.get_object()
    assert (filespec["/F"], filespec["/UF"]) == ("factur-x.xml", "factur-x.xml")
    assert filespec["/AFRelationship"] == "/Data"
    embedded = filespec["/EF"]["/F"].get_object()
    assert embedded["/Subtype"] == "/text/xml"
    assert embedded["/Params"]["/ModDate"]
    assert embedded.get_data() == bytes(note.xml or b"")
    assert catalog["/OutputIntents"][0].get_object()["/S"] == "/GTS_PDFA1"
    # one XMP packet, one rdf:RDF: PDF/A-3b and the Factur-X properties, declared
    xmp = etree.fromstring(catalog["/Metadata"].get_object().get_data())
    (rdf,) = xmp.findall(f"{{{RDF}}}RDF")
    assert _xmp_values(rdf, PDFAID, "part") == ["3"]
    assert _xmp_values(rdf, PDFAID, "conformance") == ["B"]
    assert _xmp_values(rdf, FX, "DocumentFileName") == ["factur-x.xml"]
    assert _xmp_values(rdf, FX, "DocumentType") == ["INVOICE"]
    assert _xmp_values(rdf, FX, "Version") == ["1.0"]
    assert _xmp_values(rdf, FX, "ConformanceLevel") == ["EN 16931"]
    assert _xmp_values(rdf, PDFA_SCHEMA, "namespaceURI") == [FX]
    assert _xmp_values(rdf, PDFA_SCHEMA, "prefix") == ["fx"]
    # the document information agrees with the XMP (PDF/A: both or neither)
    info: Any = reader.trailer["/Info"].get_object()
    title = f"Gutschrift {note.number}"
    assert info["/Title"] == title
    assert [li.text for li in next(rdf.iter(f"{{{DC}}}title")).iter(f"{{{RDF}}}li")] == [title]
    assert catalog["/Lang"] == "de"
    # every font is embedded
    resources: list[Any] = [page["/Resources"] for page in reader.pages]
    fonts = [font.get_object() for each in resources for font in each["/Font"].values()]
    assert fonts
    for font in fonts:
        (descendant,) = font["/DescendantFonts"]
        descriptor = descendant.get_object()["/FontDescriptor"]
        assert "/FontFile2" in descriptor or "/FontFile3" in descriptor, font["/BaseFont"]
