"""The PDF of a statement: a Django template rendered by WeasyPrint as PDF/A-3b, then the
issued CII XML attached as `factur-x.xml` with the ZUGFeRD/Factur-X XMP (factur-x's
`generate_from_binary`), its XMP descriptions given `rdf:about` as PDF/A requires
(`xmp_described`). German by default, English when the partner asked for it.
"""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal
from typing import Any, Final

from django.template.loader import render_to_string
from django.utils import translation
from lxml import etree

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


def statement_pdf(*, data: dict[str, Any], xml: bytes) -> bytes:
    from facturx import generate_from_binary  # noqa: PLC0415 (heavy)
    from weasyprint import HTML  # noqa: PLC0415 (heavy)

    html = statement_html(data)
    pdf = HTML(string=html).write_pdf(pdf_variant="pdf/a-3b")
    title = f"Gutschrift {data['number']}"
    result = generate_from_binary(
        pdf,
        xml,
        flavor="factur-x",
        level="en16931",
        check_xsd=False,
        pdf_metadata={
            "author": data["buyer"]["name"],
            "keywords": "Gutschrift, Factur-X, ZUGFeRD",
            "title": title,
            "subject": title,
        },
        lang=data.get("language") or "de",
    )
    return xmp_described(bytes(result))


RDF: Final = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"


def xmp_described(pdf: bytes) -> bytes:
    """The PDF with `rdf:about=""` on every `rdf:Description` of its XMP metadata:
    factur-x writes them without, and PDF/A validators (ISO 19005-3, 6.6.2.1; veraPDF)
    refuse a description that names no resource."""
    from pypdf import PdfReader, PdfWriter  # noqa: PLC0415 (heavy)
    from pypdf.generic import StreamObject  # noqa: PLC0415 (heavy)

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    metadata = writer.root_object["/Metadata"].get_object()
    if not isinstance(metadata, StreamObject):
        return pdf
    root = etree.fromstring(metadata.get_data(), etree.XMLParser(resolve_entities=False))
    for description in root.iter(f"{{{RDF}}}Description"):
        description.set(f"{{{RDF}}}about", description.get(f"{{{RDF}}}about", ""))
    packet = etree.tostring(root, encoding="utf-8")
    metadata.set_data(
        b'<?xpacket begin="\xef\xbb\xbf" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
        + packet
        + b'\n<?xpacket end="w"?>'
    )
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
