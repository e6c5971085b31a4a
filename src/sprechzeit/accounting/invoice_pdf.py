"""The PDF of a monthly client invoice: ZUGFeRD — PDF/A-3b with the issued CII XML
attached as `factur-x.xml` (`statements.documents.pdf.facturx_pdf`), laid out from the
invoice's frozen data in the client's language (German by default).

Rendered at each download, not stored: the invoice is the stored XML (checked against
the XSD and the EN 16931 Schematron at issue, hashed, insert-only), and the PDF carries
exactly those bytes; its layout reads only the frozen `data`, so the same invoice always
prints the same figures.
"""

from __future__ import annotations

from django.template.loader import render_to_string
from django.utils import translation

from sprechzeit.accounting.models import ClientInvoice
from sprechzeit.statements.documents.pdf import context, facturx_pdf


def client_invoice_html(invoice: ClientInvoice) -> str:
    data = invoice.data
    with translation.override(data.get("language") or "de"):
        return render_to_string("accounting/client_invoice_pdf.html", context(data))


def client_invoice_pdf(invoice: ClientInvoice) -> bytes:
    data = invoice.data
    return facturx_pdf(
        html=client_invoice_html(invoice),
        title=f"Rechnung {invoice.number}",
        author=data["seller"]["name"],
        keywords=["Rechnung", "Factur-X", "ZUGFeRD"],
        language=data.get("language") or "de",
        xml=bytes(invoice.xml),
    )
