"""The PDF of a statement: a Django template rendered by WeasyPrint as PDF/A-3b with the
issued CII XML attached as `factur-x.xml` (AFRelationship Data) and the ZUGFeRD/Factur-X
XMP (the `fx:` properties and their PDF/A extension schema) — in one WeasyPrint pass, no
second parse and write of the PDF. German by default, English when the partner asked
for it.

Per thread, one WeasyPrint font configuration and one URL fetcher serve every document
(`_font_config`, `_url_fetcher`): building them loads Fontconfig's configuration and
the system's CA certificates, which cost more than laying out a page.
"""

from __future__ import annotations

import copy
import functools
import io
import threading
from datetime import UTC, date
from decimal import Decimal
from typing import Any, Final

from django.template.loader import render_to_string
from django.utils import translation

from sprechzeit.core import clock
from sprechzeit.statements.payability import Blocker, PayoutDecision
from sprechzeit.statements.periods import period_name


def _money(minor: int) -> str:
    value = f"{Decimal(minor).scaleb(-2):,.2f}"
    return value.replace(",", "X").replace(".", ",").replace("X", ".") + " €"


def _day(iso: str) -> str:
    return f"{date.fromisoformat(iso):%d.%m.%Y}"


def _payout(frozen: dict[str, Any] | None) -> dict[str, Any] | None:
    """The payout outlook frozen at issue, formatted; None on documents without one
    (cancellations, notes issued before it was recorded)."""
    if not frozen:
        return None
    decision = PayoutDecision(str(frozen["code"]), str(frozen.get("detail", "")))
    return {
        "carried_forward": _money(int(frozen["carried_forward_minor"])),
        "amount": _money(int(frozen["amount_minor"])),
        "total": _money(int(frozen["total_minor"])),
        "threshold": _money(int(frozen["threshold_minor"])),
        "pays": decision.pays,
        "below_threshold": decision.code == Blocker.BELOW_THRESHOLD,
        "reason": decision.reason(),
    }


def context(data: dict[str, Any]) -> dict[str, Any]:
    """The template's view of the frozen data: amounts and dates formatted German-style."""
    # A cancellation (384) keeps the original's lines in its data (the XML negates the
    # quantities); printed, every line carries the sign of the totals it adds up to.
    sign = -1 if data["kind"] == "384" else 1
    lines = [
        {
            **line,
            "amount": _money(sign * int(line["amount_minor"])),
            "gross": _money(sign * int(line["gross_minor"])) if "gross_minor" in line else "",
        }
        for line in data["lines"]
    ]
    rate = Decimal(data["vat"]["rate"])
    start, end = date.fromisoformat(data["period_start"]), date.fromisoformat(data["period_end"])
    return {
        "data": data,
        "lines": lines,
        "is_cancellation": data["kind"] == "384",
        "issue_date": _day(data["issue_date"]),
        "period_start": _day(data["period_start"]),
        "period_end": _day(data["period_end"]),
        "period_name": period_name(start, end),
        "payout": _payout(data.get("payout")),
        "net": _money(int(data["net_minor"])),
        "vat": _money(int(data["vat_minor"])),
        "gross": _money(int(data["gross_minor"])),
        "rate": f"{rate:.0f}" if rate == rate.to_integral_value() else f"{rate}",
        "regular": data["vat"]["category"] == "S",
        # § 19 UStG: a small business shows no VAT at all (not even 0,00 €)
        "small_business": data["vat"]["category"] == "E",
        "cancels_date": _day(data["cancels"]["issue_date"]) if data.get("cancels") else "",
    }


def statement_html(data: dict[str, Any]) -> str:
    with translation.override(data.get("language") or "de"):
        return render_to_string("statements/statement_pdf.html", context(data))


FACTURX_FILENAME: Final = "factur-x.xml"
RDF: Final = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
FX: Final = "urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#"
# The Factur-X XMP (Factur-X 1.0 / ZUGFeRD 2.x, profile EN 16931) and the PDF/A extension
# schema that declares its properties (ISO 19005-3, 6.6.2.3).
FACTURX_XMP: Final = f"""<rdf:RDF xmlns:rdf="{RDF}" xmlns:fx="{FX}"
    xmlns:pdfaExtension="http://www.aiim.org/pdfa/ns/extension/"
    xmlns:pdfaSchema="http://www.aiim.org/pdfa/ns/schema#"
    xmlns:pdfaProperty="http://www.aiim.org/pdfa/ns/property#">
  <rdf:Description rdf:about="">
    <pdfaExtension:schemas><rdf:Bag><rdf:li rdf:parseType="Resource">
      <pdfaSchema:schema>Factur-X PDFA Extension Schema</pdfaSchema:schema>
      <pdfaSchema:namespaceURI>{FX}</pdfaSchema:namespaceURI>
      <pdfaSchema:prefix>fx</pdfaSchema:prefix>
      <pdfaSchema:property><rdf:Seq>
        <rdf:li rdf:parseType="Resource"><pdfaProperty:name>DocumentFileName</pdfaProperty:name><pdfaProperty:valueType>Text</pdfaProperty:valueType><pdfaProperty:category>external</pdfaProperty:category><pdfaProperty:description>The name of the embedded XML document</pdfaProperty:description></rdf:li>
        <rdf:li rdf:parseType="Resource"><pdfaProperty:name>DocumentType</pdfaProperty:name><pdfaProperty:valueType>Text</pdfaProperty:valueType><pdfaProperty:category>external</pdfaProperty:category><pdfaProperty:description>The type of the hybrid document in capital letters, e.g. INVOICE or ORDER</pdfaProperty:description></rdf:li>
        <rdf:li rdf:parseType="Resource"><pdfaProperty:name>Version</pdfaProperty:name><pdfaProperty:valueType>Text</pdfaProperty:valueType><pdfaProperty:category>external</pdfaProperty:category><pdfaProperty:description>The actual version of the standard applying to the embedded XML document</pdfaProperty:description></rdf:li>
        <rdf:li rdf:parseType="Resource"><pdfaProperty:name>ConformanceLevel</pdfaProperty:name><pdfaProperty:valueType>Text</pdfaProperty:valueType><pdfaProperty:category>external</pdfaProperty:category><pdfaProperty:description>The conformance level of the embedded XML document</pdfaProperty:description></rdf:li>
      </rdf:Seq></pdfaSchema:property>
    </rdf:li></rdf:Bag></pdfaExtension:schemas>
  </rdf:Description>
  <rdf:Description rdf:about="">
    <fx:DocumentType>INVOICE</fx:DocumentType>
    <fx:DocumentFileName>{FACTURX_FILENAME}</fx:DocumentFileName>
    <fx:Version>1.0</fx:Version>
    <fx:ConformanceLevel>EN 16931</fx:ConformanceLevel>
  </rdf:Description>
</rdf:RDF>"""

_local = threading.local()


def _font_config() -> Any:
    """This thread's WeasyPrint font configuration, built on first use (Pango's font map
    is not shared between threads: the web server renders on first download in threads)."""
    from weasyprint.text.fonts import FontConfiguration  # noqa: PLC0415 (heavy)

    config = getattr(_local, "font_config", None)
    if config is None:
        config = _local.font_config = FontConfiguration()
    return config


def _url_fetcher() -> Any:
    """This thread's URL fetcher, which fetches nothing: the document is self-contained
    (fonts from the system, no images, no stylesheets). One per thread because building
    one loads the system's CA certificates (~70 ms), which WeasyPrint would otherwise do
    for the HTML and again for the attachment of every document."""
    from weasyprint.urls import URLFetcher  # noqa: PLC0415 (heavy)

    fetcher = getattr(_local, "url_fetcher", None)
    if fetcher is None:
        fetcher = _local.url_fetcher = URLFetcher(allowed_protocols=())
    return fetcher


@functools.cache
def _facturx_metadata_class() -> type:
    """WeasyPrint's document metadata whose XMP also carries the Factur-X descriptions,
    inside WeasyPrint's one `rdf:RDF` (XMP readers such as veraPDF's take the first
    `rdf:RDF` only, so a second block would go unseen)."""
    from xml.etree import ElementTree  # noqa: PLC0415 (WeasyPrint writes XMP with it)

    from weasyprint.pdf.metadata import DocumentMetadata  # noqa: PLC0415 (heavy)

    for prefix, uri in (
        ("fx", FX),
        ("pdfaExtension", "http://www.aiim.org/pdfa/ns/extension/"),
        ("pdfaSchema", "http://www.aiim.org/pdfa/ns/schema#"),
        ("pdfaProperty", "http://www.aiim.org/pdfa/ns/property#"),
    ):
        ElementTree.register_namespace(prefix, uri)
    descriptions = list(ElementTree.fromstring(FACTURX_XMP))  # noqa: S314 (our constant)

    class FacturXMetadata(DocumentMetadata):  # type: ignore[misc]
        def generate_rdf_metadata(self, *args: Any, **kwargs: Any) -> bytes:
            rdf = ElementTree.fromstring(super().generate_rdf_metadata(*args, **kwargs))  # noqa: S314
            rdf.extend(copy.deepcopy(descriptions))
            return bytes(ElementTree.tostring(rdf, encoding="utf-8"))

    return FacturXMetadata


def _finish(document: Any, pdf: Any) -> None:
    """Name the attachment once in the catalog's associated files (WeasyPrint lists it
    twice: from the name tree and as a file specification), and open the attachments
    panel in viewers (as the Factur-X samples do)."""
    pdf.catalog["AF"][:] = list(dict.fromkeys(pdf.catalog["AF"]))
    pdf.catalog["PageMode"] = "/UseAttachments"


def statement_pdf(*, data: dict[str, Any], xml: bytes) -> bytes:
    """The PDF/A-3b of frozen `data` with `xml` embedded as `factur-x.xml`. The XML is the
    statement's issued one: checked against the CII XSD and the EN 16931 Schematron at
    issue (`statement_xml_checked`) and frozen by the database since, so it is not
    checked again here."""
    return facturx_pdf(
        html=statement_html(data),
        title=f"Gutschrift {data['number']}",
        author=data["buyer"]["name"],
        keywords=["Gutschrift", "Factur-X", "ZUGFeRD"],
        language=data.get("language") or "de",
        xml=xml,
    )


def facturx_pdf(
    *, html: str, title: str, author: str, keywords: list[str], language: str, xml: bytes
) -> bytes:
    """`html` laid out as PDF/A-3b with `xml` (an issued CII document) attached as
    `factur-x.xml` and the Factur-X XMP: a ZUGFeRD document (credit notes, invoices)."""
    from weasyprint import HTML, Attachment  # noqa: PLC0415 (heavy)

    document = HTML(string=html, url_fetcher=_url_fetcher()).render(
        font_config=_font_config(), pdf_variant="pdf/a-3b"
    )
    moment = clock.now().astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    document.metadata = _facturx_metadata_class()(
        title=title,
        description=title,
        authors=[author],
        keywords=keywords,
        generator="Sprechzeit",
        created=moment,
        modified=moment,
        lang=language,
        attachments=[
            Attachment(
                file_obj=io.BytesIO(xml),
                url_fetcher=_url_fetcher(),
                name=FACTURX_FILENAME,
                description="Factur-X XML file",
                relationship="Data",
            )
        ],
    )
    return bytes(document.write_pdf(pdf_variant="pdf/a-3b", finisher=_finish))
