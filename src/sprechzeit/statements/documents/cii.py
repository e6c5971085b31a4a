"""The EN 16931 e-invoice of a statement in UN/CEFACT CII D16B, built with lxml from the
statement's frozen `data` (see `documents.assembly.statement_data`).

Self-billing (COMPLIANCE.md §1.2, §2.3): the partner supplies the service and is the
seller (BG-4); the operator's issuing entity is the buyer (BG-7) and issues the document.
Type 389 (self-billed invoice) for the monthly credit note, 384 with BG-3 for its
cancellation; type 380 for the business clients' monthly invoices (`accounting.invoices`,
the operator's entity the seller, category O for supplies not taxable in Germany). Two flavours differ only in BT-24: ZUGFeRD/Factur-X EN 16931 (embedded in
the PDF) and XRechnung 3.0 CII (the download for partners who want it).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Final, Literal

from lxml import etree

RSM: Final = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
RAM: Final = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
UDT: Final = "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"
QDT: Final = "urn:un:unece:uncefact:data:standard:QualifiedDataType:100"
NSMAP: Final = {"rsm": RSM, "ram": RAM, "udt": UDT, "qdt": QDT}

type Flavour = Literal["zugferd", "xrechnung"]
GUIDELINES: Final[dict[str, str]] = {
    "zugferd": "urn:cen.eu:en16931:2017",
    "xrechnung": "urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0",
}


def _amount(minor: int) -> str:
    return f"{Decimal(minor).scaleb(-2):.2f}"


def _date(iso: str) -> str:
    return iso.replace("-", "")


class _Builder:
    def __init__(self) -> None:
        self.root = etree.Element(f"{{{RSM}}}CrossIndustryInvoice", nsmap=NSMAP)

    @staticmethod
    def sub(parent: Any, tag: str, text: str | None = None, **attrib: str) -> Any:
        prefix, name = tag.split(":")
        element = etree.SubElement(parent, f"{{{NSMAP[prefix]}}}{name}", attrib)
        if text is not None:
            element.text = text
        return element

    def date(self, parent: Any, tag: str, iso: str, kind: str = "udt") -> None:
        holder = self.sub(parent, tag)
        self.sub(holder, f"{kind}:DateTimeString", _date(iso), format="102")


def _party(b: _Builder, parent: Any, tag: str, party: dict[str, Any], *, seller: bool) -> None:
    node = b.sub(parent, tag)
    if party.get("id"):
        b.sub(node, "ram:ID", party["id"])  # BT-29: the operator's partner number
    b.sub(node, "ram:Name", party["name"])
    if party.get("register_entry"):  # BT-30 / BT-47: the commercial register entry
        organization = b.sub(node, "ram:SpecifiedLegalOrganization")
        b.sub(organization, "ram:ID", party["register_entry"])
    if seller:
        contact = b.sub(node, "ram:DefinedTradeContact")  # BG-6 (BR-DE-2)
        b.sub(contact, "ram:PersonName", party["name"])
        if party.get("phone"):
            phone = b.sub(contact, "ram:TelephoneUniversalCommunication")
            b.sub(phone, "ram:CompleteNumber", party["phone"])
        if party.get("email"):
            email = b.sub(contact, "ram:EmailURIUniversalCommunication")
            b.sub(email, "ram:URIID", party["email"])
    address = b.sub(node, "ram:PostalTradeAddress")
    b.sub(address, "ram:PostcodeCode", party["postal_code"])
    b.sub(address, "ram:LineOne", party["street"])
    b.sub(address, "ram:CityName", party["city"])
    b.sub(address, "ram:CountryID", party["country"])
    if party.get("email"):
        uri = b.sub(node, "ram:URIUniversalCommunication")  # BT-34 / BT-49
        b.sub(uri, "ram:URIID", party["email"], schemeID="EM")
    if party.get("tax_number"):
        registration = b.sub(node, "ram:SpecifiedTaxRegistration")
        b.sub(registration, "ram:ID", party["tax_number"], schemeID="FC")  # BT-32
    if party.get("vat_id"):
        registration = b.sub(node, "ram:SpecifiedTaxRegistration")
        b.sub(registration, "ram:ID", party["vat_id"], schemeID="VA")  # BT-31 / BT-48


def cii_xml(data: dict[str, Any], *, flavour: Flavour = "zugferd") -> bytes:
    """The CII document of a statement's `data`, as UTF-8 bytes (deterministic)."""
    b = _Builder()
    context = b.sub(b.root, "rsm:ExchangedDocumentContext")
    guideline = b.sub(context, "ram:GuidelineSpecifiedDocumentContextParameter")
    b.sub(guideline, "ram:ID", GUIDELINES[flavour])

    document = b.sub(b.root, "rsm:ExchangedDocument")
    b.sub(document, "ram:ID", data["number"])
    b.sub(document, "ram:TypeCode", data["kind"])
    b.date(document, "ram:IssueDateTime", data["issue_date"])
    for note in data["notes"]:  # BT-22: "Gutschrift …", the VAT note, the reference
        included = b.sub(document, "ram:IncludedNote")
        b.sub(included, "ram:Content", note)

    transaction = b.sub(b.root, "rsm:SupplyChainTradeTransaction")
    _lines(b, transaction, data)

    agreement = b.sub(transaction, "ram:ApplicableHeaderTradeAgreement")
    b.sub(agreement, "ram:BuyerReference", data["buyer_reference"])  # BT-10
    _party(b, agreement, "ram:SellerTradeParty", data["seller"], seller=True)
    _party(b, agreement, "ram:BuyerTradeParty", data["buyer"], seller=False)

    delivery = b.sub(transaction, "ram:ApplicableHeaderTradeDelivery")
    event = b.sub(delivery, "ram:ActualDeliverySupplyChainEvent")
    b.date(event, "ram:OccurrenceDateTime", data["period_end"])  # BT-72

    _settlement(b, transaction, data)
    return bytes(etree.tostring(b.root, xml_declaration=True, encoding="UTF-8"))


def _lines(b: _Builder, transaction: Any, data: dict[str, Any]) -> None:
    """One line item per document line; a cancellation (384) negates every amount."""
    vat = data["vat"]
    sign = -1 if data["kind"] == "384" else 1
    for index, line in enumerate(data["lines"], start=1):
        item = b.sub(transaction, "ram:IncludedSupplyChainTradeLineItem")
        b.sub(b.sub(item, "ram:AssociatedDocumentLineDocument"), "ram:LineID", str(index))
        product = b.sub(item, "ram:SpecifiedTradeProduct")
        b.sub(product, "ram:Name", line["name"])
        if line.get("description"):
            b.sub(product, "ram:Description", line["description"])
        amount = sign * int(line["amount_minor"])
        agreement = b.sub(item, "ram:SpecifiedLineTradeAgreement")
        price = b.sub(agreement, "ram:NetPriceProductTradePrice")
        # The price is never negative (BR-27): a negative line has quantity −1.
        b.sub(price, "ram:ChargeAmount", _amount(abs(amount)))
        delivery = b.sub(item, "ram:SpecifiedLineTradeDelivery")
        b.sub(delivery, "ram:BilledQuantity", "1" if amount >= 0 else "-1", unitCode="C62")
        settlement = b.sub(item, "ram:SpecifiedLineTradeSettlement")
        tax = b.sub(settlement, "ram:ApplicableTradeTax")
        b.sub(tax, "ram:TypeCode", "VAT")
        b.sub(tax, "ram:CategoryCode", vat["category"])
        if vat["category"] != "O":  # not subject to VAT: no rate (BR-O-05)
            b.sub(tax, "ram:RateApplicablePercent", vat["rate"])
        total = b.sub(settlement, "ram:SpecifiedTradeSettlementLineMonetarySummation")
        b.sub(total, "ram:LineTotalAmount", _amount(amount))


def _settlement(b: _Builder, transaction: Any, data: dict[str, Any]) -> None:
    """Payment means, the VAT breakdown, the billing period, the totals and, for a
    cancellation, the document it cancels (BG-3)."""
    vat = data["vat"]
    settlement = b.sub(transaction, "ram:ApplicableHeaderTradeSettlement")
    b.sub(settlement, "ram:InvoiceCurrencyCode", data["currency"])
    payee = data.get("payee") or {}
    if payee.get("iban"):
        means = b.sub(settlement, "ram:SpecifiedTradeSettlementPaymentMeans")
        b.sub(means, "ram:TypeCode", "58")  # SEPA credit transfer (BT-81)
        account = b.sub(means, "ram:PayeePartyCreditorFinancialAccount")
        b.sub(account, "ram:IBANID", payee["iban"])
        b.sub(account, "ram:AccountName", payee["account_holder"])
    tax = b.sub(settlement, "ram:ApplicableTradeTax")
    b.sub(tax, "ram:CalculatedAmount", _amount(int(data["vat_minor"])))
    b.sub(tax, "ram:TypeCode", "VAT")
    if vat["category"] != "S":
        b.sub(tax, "ram:ExemptionReason", vat["note"])  # BT-120
    b.sub(tax, "ram:BasisAmount", _amount(int(data["net_minor"])))
    b.sub(tax, "ram:CategoryCode", vat["category"])
    if vat["exemption_code"]:
        b.sub(tax, "ram:ExemptionReasonCode", vat["exemption_code"])  # BT-121
    if vat["category"] != "O":  # not subject to VAT: no rate (BR-O-10)
        b.sub(tax, "ram:RateApplicablePercent", vat["rate"])
    period = b.sub(settlement, "ram:BillingSpecifiedPeriod")  # BG-14
    b.date(period, "ram:StartDateTime", data["period_start"])
    b.date(period, "ram:EndDateTime", data["period_end"])
    terms = b.sub(settlement, "ram:SpecifiedTradePaymentTerms")
    b.sub(terms, "ram:Description", data["payment_terms"])
    summation = b.sub(settlement, "ram:SpecifiedTradeSettlementHeaderMonetarySummation")
    b.sub(summation, "ram:LineTotalAmount", _amount(int(data["net_minor"])))
    b.sub(summation, "ram:ChargeTotalAmount", "0.00")
    b.sub(summation, "ram:AllowanceTotalAmount", "0.00")
    b.sub(summation, "ram:TaxBasisTotalAmount", _amount(int(data["net_minor"])))
    b.sub(
        summation,
        "ram:TaxTotalAmount",
        _amount(int(data["vat_minor"])),
        currencyID=data["currency"],
    )
    b.sub(summation, "ram:GrandTotalAmount", _amount(int(data["gross_minor"])))
    b.sub(summation, "ram:DuePayableAmount", _amount(int(data["gross_minor"])))
    if data.get("cancels"):
        referenced = b.sub(settlement, "ram:InvoiceReferencedDocument")  # BG-3
        b.sub(referenced, "ram:IssuerAssignedID", data["cancels"]["number"])
        b.date(referenced, "ram:FormattedIssueDateTime", data["cancels"]["issue_date"], "qdt")
