"""The receipt of a credited top-up as a PDF (WeasyPrint, like the credit notes): who
paid whom, how much, when and how, and what the top-up means for VAT in the client's
VAT case at the time (accounts/vat_place.py; docs/vat.md). Downloaded from the wallet
(`payments:receipt`, the owner only) and attached to the receipt mail."""

from __future__ import annotations

from typing import Any

from django.template.loader import render_to_string
from django.utils import translation

from sprechzeit.accounts.vat_place import vat_case_text
from sprechzeit.payments.models import Payment


def receipt_context(payment: Payment) -> dict[str, Any]:
    account = payment.client_account
    case = payment.vat_case or account.vat_case
    return {
        "payment": payment,
        "number": f"Q-{payment.pk}",
        "user": account.user,
        "account": account,
        "entity": payment.platform.legal_entity,
        "platform": payment.platform,
        "vat_case": case,
        "vat_text": vat_case_text(case=case, rate=payment.platform.vat_rate, vat_id=account.vat_id),
    }


def receipt_html(payment: Payment) -> str:
    """The receipt as HTML, in the client's language."""
    language = payment.client_account.user.language or payment.platform.default_locale or "de"
    with translation.override(language):
        return render_to_string("payments/receipt_pdf.html", receipt_context(payment))


def receipt_pdf(payment: Payment) -> bytes:
    """The receipt as a PDF/A-3b (about half a second: render it when asked for)."""
    from weasyprint import HTML  # noqa: PLC0415 (heavy)

    return bytes(HTML(string=receipt_html(payment)).write_pdf(pdf_variant="pdf/a-3b"))


def receipt_filename(payment: Payment) -> str:
    return f"Beleg_{payment.credited_at:%Y-%m-%d}_{str(payment.pk)[:8]}.pdf"
