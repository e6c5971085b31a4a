"""Monthly invoices for business clients (§ 14 UStG; EN 16931, CII type 380), issued by
the client's platform's entity in its own number series (RE-2026-000001), checked
against the CII XSD and the EN 16931 Schematron like the credit notes.

A business client is one that says so on its "Rechnungsdaten" page (`ClientBilling`) or
has a VAT ID. One invoice per client, month and VAT case (a case changes only at a
top-up, so a month rarely has two), listing each settled consultation of the month
(started in it) with the partner's pseudonym, the billed minutes and its net price.

Cent rounding (docs/vat.md): each consultation booked its VAT when settled, rounded per
consultation. The invoice's VAT is rounded once on the document (BR-CO-17: basis ×
rate). The basis is the sum of the booked net prices, so the invoice's VAT can differ
from the VAT booked by a few cents; the difference is kept on the invoice
(`booked_vat_minor`) and in `data["vat_difference_minor"]`, and not booked (for review
by the tax adviser: the VAT return computes the tax from the basis as well).
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from fractions import Fraction
from typing import Any, Final

from django.db import transaction
from django.db.models import Q

from sprechzeit.accounting.models import ClientInvoice, ClientInvoiceCounter
from sprechzeit.accounts.models import ClientAccount
from sprechzeit.accounts.vat_place import ClientVatCase
from sprechzeit.consultations.models import Consultation
from sprechzeit.consultations.records import month_bounds
from sprechzeit.core import clock
from sprechzeit.core.money import round_half_up
from sprechzeit.platforms.models import LegalEntity
from sprechzeit.statements.documents.cii import cii_xml
from sprechzeit.statements.documents.validation import document_problems
from sprechzeit.statements.periods import today

PREFIX: Final = "RE"
INVOICE_NOTE: Final = "Rechnung über die Beratungen des Monats (§ 14 UStG)"
PREPAID_TERMS: Final = "Bereits bezahlt aus Ihrem Guthaben; kein Zahlungsbetrag offen."

# Per VAT case: EN 16931 category, VATEX code and the exemption text (BT-120).
CATEGORIES: Final[dict[str, tuple[str, str, str]]] = {
    ClientVatCase.DOMESTIC: ("S", "", ""),
    ClientVatCase.REVERSE_CHARGE: (
        "AE",
        "VATEX-EU-AE",
        "Steuerschuldnerschaft des Leistungsempfängers (Reverse Charge, Art. 196 MwStSystRL)",
    ),
    ClientVatCase.NOT_TAXABLE: (
        "O",
        "VATEX-EU-O",
        "Im Inland nicht steuerbare Leistung (§ 3a Abs. 2 bzw. Abs. 4 UStG)",
    ),
}


@dataclass(slots=True)
class InvoiceRun:
    issued: list[ClientInvoice] = field(default_factory=list)
    existing: int = 0
    # client id → why no invoice was issued (incomplete address, failed checks)
    held: dict[int, str] = field(default_factory=dict)


def is_business(client: ClientAccount) -> bool:
    billing = getattr(client, "billing", None)
    return bool(client.vat_id) or bool(billing is not None and billing.is_business)


def business_clients_of(month: str) -> list[ClientAccount]:
    """Business clients with settled consultations started in `month`."""
    start, end = month_bounds(month)
    ids = Consultation.objects.filter(
        status=Consultation.Status.SETTLED, started_at__gte=start, started_at__lt=end
    ).values("client_id")
    return list(
        ClientAccount.objects.filter(pk__in=ids)
        .filter(~Q(vat_id="") | Q(billing__is_business=True))
        .select_related("user", "platform__legal_entity", "billing")
        .order_by("pk")
    )


def client_invoices_issue(*, month: str) -> InvoiceRun:
    """Issue the invoices of `month` ("2026-10", ended) for every business client; a
    rerun issues only what is missing. Each client in its own transaction."""
    run = InvoiceRun()
    for client in business_clients_of(month):
        try:
            made, existing = _client_month(client, month)
        except InvoiceHeld as held:
            run.held[int(client.pk)] = held.reason
            continue
        run.issued += made
        run.existing += existing
    return run


class InvoiceHeld(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _number_take(entity_id: int, year: int) -> int:
    ClientInvoiceCounter.objects.get_or_create(legal_entity_id=entity_id, year=year)
    counter = ClientInvoiceCounter.objects.select_for_update().get(
        legal_entity_id=entity_id, year=year
    )
    counter.last += 1
    counter.save(update_fields=["last"])
    return counter.last


@transaction.atomic
def _client_month(client: ClientAccount, month: str) -> tuple[list[ClientInvoice], int]:
    ClientAccount.objects.select_for_update().filter(pk=client.pk).first()
    start, end = month_bounds(month)
    groups: dict[str, list[Consultation]] = defaultdict(list)
    for consultation in (
        Consultation.objects.filter(
            client=client,
            status=Consultation.Status.SETTLED,
            started_at__gte=start,
            started_at__lt=end,
        )
        .select_related("listing", "platform")
        .order_by("started_at", "pk")
    ):
        groups[consultation.vat_case].append(consultation)
    first = start.date()
    last = end.date() - timedelta(days=1)
    done = set(
        ClientInvoice.objects.filter(client=client, period_start=first).values_list(
            "vat_case", flat=True
        )
    )
    address = _buyer(client)
    missing = [name for name in ("name", "street", "postal_code", "city") if not address[name]]
    if missing:
        raise InvoiceHeld(f"Rechnungsanschrift unvollständig: {', '.join(missing)}")
    made: list[ClientInvoice] = []
    for case, consultations in sorted(groups.items()):
        if case in done:
            continue
        made.append(_invoice(client, case, consultations, first, last, address))
    return made, len(done)


def _invoice(
    client: ClientAccount,
    case: str,
    consultations: list[Consultation],
    first: date,
    last: date,
    buyer: dict[str, Any],
) -> ClientInvoice:
    entity: LegalEntity = client.platform.legal_entity
    category, exemption_code, note = CATEGORIES[case]
    rate = consultations[0].platform.vat_rate if category == "S" else 0
    lines: list[dict[str, Any]] = [
        {
            "kind": "consultation",
            "name": f"Beratung mit {c.listing.display_name}",
            "description": f"{c.started_at:%d.%m.%Y %H:%M}, {(c.billed_seconds or 0) // 60} Min."
            f" {(c.billed_seconds or 0) % 60:02d} s",
            "amount_minor": (c.amount_minor or 0) - (c.vat_minor or 0),
        }
        for c in consultations
    ]
    net = sum((c.amount_minor or 0) - (c.vat_minor or 0) for c in consultations)
    vat = round_half_up(Fraction(net) * Fraction(rate) / 100)
    booked = sum(c.vat_minor or 0 for c in consultations)
    issue_date = today()
    seq = _number_take(int(entity.pk), issue_date.year)
    number = f"{PREFIX}-{issue_date.year}-{seq:06d}"
    data = {
        "kind": "380",
        "number": number,
        "issue_date": issue_date.isoformat(),
        "period_start": first.isoformat(),
        "period_end": last.isoformat(),
        "currency": client.platform.currency,
        "language": client.user.language or "de",
        "buyer_reference": client.customer_number,
        "seller": _seller(entity, with_vat_id=category != "O"),
        "buyer": {**buyer, "vat_id": client.vat_id if category == "AE" else ""},
        "lines": lines,
        "vat": {
            "status": case,
            "category": category,
            "rate": f"{rate:.2f}",
            "exemption_code": exemption_code,
            "note": note,
        },
        "net_minor": net,
        "vat_minor": vat,
        "gross_minor": net + vat,
        "vat_difference_minor": vat - booked,
        "payee": None,
        "payment_terms": PREPAID_TERMS,
        "cancels": None,
        "notes": [INVOICE_NOTE, *([note] if note else [])],
    }
    xml = cii_xml(data)
    problems = document_problems(xml)
    if problems:
        raise InvoiceHeld("EN 16931: " + " | ".join(problems[:3]))
    return ClientInvoice.objects.create(
        client=client,
        legal_entity=entity,
        period_start=first,
        period_end=last,
        vat_case=case,
        number=number,
        number_year=issue_date.year,
        number_seq=seq,
        issue_date=issue_date,
        currency=client.platform.currency,
        net_minor=net,
        vat_minor=vat,
        gross_minor=net + vat,
        booked_vat_minor=booked,
        data=data,
        xml=xml,
        xml_sha256=hashlib.sha256(xml).hexdigest(),
        created_at=clock.now(),
    )


def _seller(entity: LegalEntity, *, with_vat_id: bool) -> dict[str, Any]:
    """The operator's entity, who supplies the consultations (BG-4). A supply not
    taxable in Germany names no VAT ID (EN 16931 BR-O-02), its tax number instead."""
    return {
        "name": entity.name,
        "street": entity.street,
        "postal_code": entity.postal_code,
        "city": entity.city,
        "country": entity.country,
        "tax_number": entity.tax_number,
        "vat_id": entity.vat_id if with_vat_id else "",
        "email": entity.email,
        "phone": entity.phone,
        "register_entry": entity.register_entry,
        "managing_directors": entity.managing_directors,
    }


def _buyer(client: ClientAccount) -> dict[str, Any]:
    billing = getattr(client, "billing", None)
    return {
        "id": client.customer_number,
        "name": (billing.name if billing else "") or client.user.get_full_name(),
        "street": billing.street if billing else "",
        "postal_code": billing.postal_code if billing else "",
        "city": billing.city if billing else "",
        "country": client.country,
        "tax_number": "",
        "vat_id": client.vat_id,
        "email": client.user.email,
    }
