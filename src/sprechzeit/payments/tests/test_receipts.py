"""The PDF receipt of every credited top-up: downloadable from the wallet by its owner
only, with the amount, the operator and the VAT text of the client's VAT case at the
time of the top-up (a later change of country does not rewrite it)."""

from __future__ import annotations

import io

import pytest
from django.test import Client
from pypdf import PdfReader

from sprechzeit.accounts.models import ClientAccount
from sprechzeit.accounts.services import client_tax_details_change
from sprechzeit.ledger.tests.helpers import assert_ledger_sound
from sprechzeit.payments.models import Payment
from sprechzeit.payments.services.sandbox import sandbox_deliver
from sprechzeit.payments.tests.factories import client, host, sandbox_payment, sandbox_setup

pytestmark = pytest.mark.django_db


def _topup(account: ClientAccount, minor: int, *, credit: bool = True) -> Payment:
    payment = sandbox_payment(
        account=account, policy=account.platform.channel_policies.get(), minor=minor
    )
    if credit:
        sandbox_deliver(payment=payment, event_type="payment.succeeded")
    payment.refresh_from_db()
    return payment


def _pdf_text(body: bytes) -> str:
    reader = PdfReader(io.BytesIO(body))
    return " ".join(page.extract_text() for page in reader.pages)


@pytest.mark.parametrize(
    ("country", "vat_id", "case", "needles"),
    [
        ("DE", "", "de", ["enthalten 19 % Umsatzsteuer"]),
        ("AT", "", "de", ["enthalten 19 % Umsatzsteuer"]),
        ("US", "", "not_taxable", ["nicht steuerbar (§ 3a Abs. 4 UStG)"]),
        (
            "AT",
            "ATU13585627",
            "reverse_charge",
            ["Steuerschuldnerschaft des Leistungsempfängers", "ATU13585627"],
        ),
    ],
)
def test_receipt_pdf_states_amount_and_the_vat_case(
    country: str, vat_id: str, case: str, needles: list[str]
) -> None:
    platform, _config, _policy = sandbox_setup()
    account = client(platform)
    client_tax_details_change(account=account, country=country, vat_id=vat_id)
    payment = _topup(account, 2500)
    assert payment.vat_case == case
    browser = Client(headers=host(platform))
    browser.force_login(account.user)
    wallet = browser.get("/guthaben/").content.decode()
    url = f"/guthaben/zahlung/{payment.pk}/beleg.pdf"
    assert f'href="{url}"' in wallet
    response = browser.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = _pdf_text(response.content)
    entity = platform.legal_entity
    for needle in ("Zahlungsbeleg", "25,00", entity.name, account.customer_number, *needles):
        assert needle in text, needle
    # the other cases' texts are not there
    others = {"de": "Umsatzsteuer;", "not_taxable": "nicht steuerbar", "reverse_charge": "Reverse"}
    for other, needle in others.items():
        if other != case:
            assert needle not in text, (other, needle)
    assert_ledger_sound()


def test_a_later_change_of_country_does_not_rewrite_the_receipt() -> None:
    platform, _config, _policy = sandbox_setup()
    account = client(platform)
    first = _topup(account, 1000)
    client_tax_details_change(account=account, country="US", vat_id="")
    second = _topup(account, 2000)
    browser = Client(headers=host(platform))
    browser.force_login(account.user)
    first_text = _pdf_text(browser.get(f"/guthaben/zahlung/{first.pk}/beleg.pdf").content)
    second_text = _pdf_text(browser.get(f"/guthaben/zahlung/{second.pk}/beleg.pdf").content)
    assert "10,00" in first_text
    assert "19 % Umsatzsteuer" in first_text
    assert "20,00" in second_text
    assert "nicht steuerbar" in second_text
    assert_ledger_sound()


def test_receipt_only_for_its_owner_and_only_once_credited() -> None:
    platform, _config, _policy = sandbox_setup()
    owner, other = client(platform), client(platform)
    credited = _topup(owner, 1000)
    open_one = _topup(owner, 1000, credit=False)
    browser = Client(headers=host(platform))
    browser.force_login(other.user)
    assert browser.get(f"/guthaben/zahlung/{credited.pk}/beleg.pdf").status_code == 404
    browser.force_login(owner.user)
    assert browser.get(f"/guthaben/zahlung/{open_one.pk}/beleg.pdf").status_code == 404
    assert browser.get(f"/guthaben/zahlung/{credited.pk}/beleg.pdf").status_code == 200
    anonymous = Client(headers=host(platform))
    assert anonymous.get(f"/guthaben/zahlung/{credited.pk}/beleg.pdf").status_code in (302, 404)
