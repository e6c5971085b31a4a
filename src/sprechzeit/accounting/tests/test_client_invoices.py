"""Monthly invoices for business clients (#14 point 4): EN 16931 type 380 in its own
number series, the client's address, the VAT of its case; checked against the CII XSD
and the EN 16931 Schematron like the credit notes; insert-only. And the client's page
to change country, VAT ID and invoice address (VAT ID via stdnum and the pluggable
checker)."""

from __future__ import annotations

import io

import pytest
from django.db import DatabaseError, connection, transaction
from django.test import Client, override_settings
from lxml import etree
from pypdf import PdfReader

from sprechzeit.accounting.invoices import client_invoices_issue
from sprechzeit.accounting.models import ClientBilling, ClientInvoice
from sprechzeit.accounts.models import ClientAccount
from sprechzeit.accounts.services import client_register
from sprechzeit.accounts.tests.factories import partner_with_listing
from sprechzeit.accounts.vat_place import ClientVatCase
from sprechzeit.consultations.models import PartnerPresence
from sprechzeit.consultations.services import presence_set
from sprechzeit.consultations.tests.factories import Scene, top_up
from sprechzeit.core import clock
from sprechzeit.ledger.tests.helpers import assert_ledger_sound
from sprechzeit.platforms.models import Platform
from sprechzeit.platforms.tests.factories import platform_create
from sprechzeit.statements.documents.validation import schematron_validator, xsd_errors
from sprechzeit.statements.tests.factories import at, settled

pytestmark = pytest.mark.django_db
RAM = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
RSM = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
NS = {"ram": RAM, "rsm": RSM}


def _business(platform: Platform, country: str, vat_id: str, name: str) -> ClientAccount:
    with clock.frozen_at(at(2026, 10, 1)):
        client = client_register(
            platform=platform,
            email=f"firma{ClientAccount.objects.count()}@example.com",
            password=None,
            country=country,
            vat_id=vat_id,
        )
        top_up(client=client, minor=20_000)
    ClientBilling.objects.create(
        client=client,
        is_business=True,
        name=name,
        street="Handelsweg 7",
        postal_code="1010" if country == "AT" else "8001" if country == "CH" else "10115",
        city={"AT": "Wien", "CH": "Zürich"}.get(country, "Berlin"),
        updated_at=clock.now(),
    )
    return client


def _month(platform: Platform, clients: list[ClientAccount]) -> None:
    partner, listing = partner_with_listing(platform=platform, rate_minor=199)
    presence_set(partner=partner, status=PartnerPresence.Status.ONLINE)
    for n, client in enumerate(clients):
        scene = Scene(platform=platform, partner=partner, listing=listing, client=client)
        for day, seconds in ((5, 600), (12, 457), (20, 91)):
            settled(scene, seconds=seconds + n, when=at(2026, 10, day, 10 + n))


def test_business_clients_get_a_validated_invoice_per_month() -> None:
    schematron = schematron_validator()
    platform = platform_create(rate_min_minor=99, rate_max_minor=999)
    german = _business(platform, "DE", "DE136695976", "Muster GmbH")
    austrian = _business(platform, "AT", "ATU13585627", "Wiener Beratung GmbH")
    swiss = _business(platform, "CH", "", "Zürcher Rat AG")
    with clock.frozen_at(at(2026, 10, 1)):
        consumer = client_register(
            platform=platform, email="verbraucher@example.com", password=None, country="DE"
        )
        top_up(client=consumer, minor=20_000)
    _month(platform, [german, austrian, swiss, consumer])
    with clock.frozen_at(at(2026, 11, 2)):
        run = client_invoices_issue(month="2026-10")
    assert run.held == {}
    invoices = {invoice.client_id: invoice for invoice in run.issued}
    assert set(invoices) == {german.pk, austrian.pk, swiss.pk}  # not the consumer
    assert sorted(invoice.number for invoice in run.issued) == [
        "RE-2026-000001",
        "RE-2026-000002",
        "RE-2026-000003",
    ]
    expected = {
        german.pk: (ClientVatCase.DOMESTIC, "S"),
        austrian.pk: (ClientVatCase.REVERSE_CHARGE, "AE"),
        swiss.pk: (ClientVatCase.NOT_TAXABLE, "O"),
    }
    for client_id, invoice in invoices.items():
        case, category = expected[client_id]
        xml = bytes(invoice.xml)
        assert xsd_errors(xml) == []
        assert schematron.failures(xml) == []
        tree = etree.fromstring(xml)
        assert tree.findtext(".//rsm:ExchangedDocument/ram:TypeCode", namespaces=NS) == "380"
        assert invoice.vat_case == case
        assert (
            tree.findtext(
                ".//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax/ram:CategoryCode",
                namespaces=NS,
            )
            == category
        )
        buyer = tree.find(".//ram:BuyerTradeParty", NS)
        assert buyer is not None
        assert buyer.findtext("ram:PostalTradeAddress/ram:LineOne", namespaces=NS) == (
            "Handelsweg 7"
        )
        assert len(tree.findall(".//ram:IncludedSupplyChainTradeLineItem", NS)) == 3
        consultations = ClientAccount.objects.get(pk=client_id).consultations.all()
        assert invoice.net_minor + invoice.booked_vat_minor == sum(
            c.amount_minor or 0 for c in consultations
        )
    # German VAT rounded once on the document (BR-CO-17), near the VAT booked
    domestic = invoices[german.pk]
    assert domestic.vat_minor == round(domestic.net_minor * 19 / 100)
    assert abs(domestic.vat_minor - domestic.booked_vat_minor) <= 2
    assert invoices[austrian.pk].vat_minor == 0
    assert b"ATU13585627" in bytes(invoices[austrian.pk].xml)
    # not taxable in Germany: no VAT ID of the seller on the invoice (BR-O-02)
    swiss_xml = bytes(invoices[swiss.pk].xml)
    assert platform.legal_entity.vat_id.encode() not in swiss_xml
    # a rerun issues nothing new
    with clock.frozen_at(at(2026, 11, 3)):
        again = client_invoices_issue(month="2026-10")
    assert (again.issued, again.existing) == ([], 3)
    # issued invoices are never changed or deleted; the counter only counts up
    for sql in (
        "UPDATE accounting_clientinvoice SET gross_minor = 1, net_minor = 1 WHERE id = %s",
        "DELETE FROM accounting_clientinvoice WHERE id = %s",
    ):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [domestic.pk])
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE accounting_clientinvoicecounter SET last = 0")
    assert_ledger_sound()


def test_an_incomplete_address_holds_the_invoice() -> None:
    platform = platform_create(rate_min_minor=99, rate_max_minor=999)
    client = _business(platform, "DE", "DE136695976", "Muster GmbH")
    ClientBilling.objects.filter(client=client).update(street="")
    _month(platform, [client])
    with clock.frozen_at(at(2026, 11, 2)):
        run = client_invoices_issue(month="2026-10")
    assert run.issued == []
    assert "street" in run.held[client.pk]
    assert not ClientInvoice.objects.exists()


def vies_no(vat_id: str) -> bool | None:
    """A VIES double that confirms nothing."""
    return False


def _page(platform: Platform, client: ClientAccount, host: str) -> Client:
    browser = Client(HTTP_HOST=host)
    browser.force_login(client.user)
    return browser


def test_client_changes_country_and_vat_id_on_the_billing_page() -> None:
    platform = platform_create(hosts=("rechnung.localhost",))
    with clock.frozen_at(at(2026, 10, 1)):
        client = client_register(
            platform=platform, email="firma@example.com", password=None, country="DE"
        )
    browser = _page(platform, client, "rechnung.localhost")
    page = browser.get("/konto/rechnungsdaten/")
    assert page.status_code == 200
    assert b"Rechnungsdaten" in page.content
    form = {
        "country": "AT",
        "vat_id": "ATU 1358 5628",  # wrong check digit
        "is_business": "on",
        "name": "Wiener Beratung GmbH",
        "street": "Ring 1",
        "postal_code": "1010",
        "city": "Wien",
    }
    page = browser.post("/konto/rechnungsdaten/", form)
    assert "Diese USt-IdNr. ist nicht gültig.".encode() in page.content
    client.refresh_from_db()
    assert (client.country, client.vat_id) == ("DE", "")
    form["vat_id"] = "ATU 1358 5627"
    page = browser.post("/konto/rechnungsdaten/", form)
    assert b"Gespeichert" in page.content
    assert "wurde bestätigt".encode() in page.content
    client.refresh_from_db()
    assert (client.country, client.vat_id) == ("AT", "ATU13585627")
    assert client.vat_case == ClientVatCase.DOMESTIC  # in force from the next top-up
    billing = ClientBilling.objects.get(client=client)
    assert (billing.is_business, billing.city) == (True, "Wien")
    # the checker (VIES in production) does not confirm it: German VAT, said so
    with override_settings(SPRECHZEIT_VAT_ID_CHECKER=f"{__name__}.vies_no"):
        page = browser.post("/konto/rechnungsdaten/", form)
    assert "wurde nicht bestätigt".encode() in page.content
    # an ID of another country than the one given is refused
    form.update(country="DE")
    page = browser.post("/konto/rechnungsdaten/", form)
    assert "gehört nicht zum angegebenen Land".encode() in page.content


def _pdf_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def test_the_invoice_pdf_is_zugferd_with_the_issued_xml_in_the_clients_language() -> None:
    platform = platform_create(rate_min_minor=99, rate_max_minor=999, hosts=("rechnung.localhost",))
    german = _business(platform, "DE", "DE136695976", "Muster GmbH")
    austrian = _business(platform, "AT", "ATU13585627", "Wiener Beratung GmbH")
    austrian.user.language = "en"
    austrian.user.save(update_fields=["language"])
    _month(platform, [german, austrian])
    with clock.frozen_at(at(2026, 11, 2)):
        run = client_invoices_issue(month="2026-10")
    invoices = {invoice.client_id: invoice for invoice in run.issued}
    mine, theirs = invoices[german.pk], invoices[austrian.pk]
    browser = _page(platform, german, "rechnung.localhost")
    page = browser.get("/konto/rechnungsdaten/")
    assert f"/konto/rechnungen/{mine.pk}/pdf/".encode() in page.content
    response = browser.get(f"/konto/rechnungen/{mine.pk}/pdf/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="{mine.number}.pdf"'
    pdf = response.content
    # ZUGFeRD: the very XML that was issued (validated, hashed) rides along.
    assert PdfReader(io.BytesIO(pdf)).attachments["factur-x.xml"] == [bytes(mine.xml)]
    text = _pdf_text(pdf)
    for expected in (
        "Rechnung",
        mine.number,
        "Muster GmbH",
        "Handelsweg 7",
        platform.legal_entity.name,
        "Umsatzsteuer 19 %",
        f"{mine.net_minor // 100},{mine.net_minor % 100:02d} €",
        f"{mine.gross_minor // 100},{mine.gross_minor % 100:02d} €",
        "01.10.2026 – 31.10.2026",
    ):
        assert expected in text, expected
    assert text.count("Beratung mit") == 3
    # Another client's invoice is not there for this one.
    assert browser.get(f"/konto/rechnungen/{theirs.pk}/pdf/").status_code == 404
    # The Austrian business asked for English; reverse charge, no German VAT.
    english = _pdf_text(
        _page(platform, austrian, "rechnung.localhost")
        .get(f"/konto/rechnungen/{theirs.pk}/pdf/")
        .content
    )
    assert "Invoice" in english
    assert "Umsatzsteuer 19" not in english
    assert "Reverse Charge" in english
    assert "ATU13585627" in english
