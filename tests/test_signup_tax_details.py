"""Sign-up asks where the client lives and, for a business, its VAT ID: they decide the
VAT of the client's consultations (accounts/vat_place.py)."""

from __future__ import annotations

import pytest
from django.test import Client

from sprechzeit.accounts.models import ClientAccount
from sprechzeit.accounts.vat_place import ClientVatCase
from sprechzeit.legal.services import legal_documents_start
from sprechzeit.platforms.tests.factories import platform_create

pytestmark = pytest.mark.django_db
HOST = {"host": "a.localhost"}


def signup(**fields: str) -> tuple[int, str]:
    data = {
        "email": "neu@example.com",
        "password": "ein-gutes-passwort-7",
        "accept_terms": "on",
        **fields,
    }
    response = Client().post("/registrieren/", data, headers=HOST)
    return response.status_code, response.content.decode()


def test_the_page_offers_the_countries_germany_first() -> None:
    platform_create(slug="a")
    body = Client().get("/registrieren/", headers=HOST).content.decode()
    assert 'name="country"' in body
    assert body.index('value="DE"') < body.index('value="AT"') < body.index('value="US"')
    assert "Österreich" in body
    assert 'name="vat_id"' in body


@pytest.mark.parametrize(
    ("fields", "country", "vat_id", "case"),
    [
        ({}, "DE", "", ClientVatCase.DOMESTIC),
        ({"country": "CH"}, "CH", "", ClientVatCase.NOT_TAXABLE),
        (
            {"country": "AT", "vat_id": "ATU 135 856 27"},
            "AT",
            "ATU13585627",
            ClientVatCase.REVERSE_CHARGE,
        ),
        ({"country": "AT"}, "AT", "", ClientVatCase.DOMESTIC),
    ],
)
def test_signup_records_country_vat_id_and_case(
    fields: dict[str, str], country: str, vat_id: str, case: ClientVatCase
) -> None:
    legal_documents_start(platform=platform_create(slug="a"))
    status, _body = signup(**fields)
    assert status == 302
    account = ClientAccount.objects.get(user__email="neu@example.com")
    assert (account.country, account.vat_id, account.vat_case) == (country, vat_id, case)


def test_an_invalid_or_foreign_vat_id_is_refused() -> None:
    platform_create(slug="a")
    status, body = signup(country="AT", vat_id="ATU00000000")
    assert status == 400  # a refused field (core.inputs.form_status)
    assert "nicht gültig" in body
    status, body = signup(country="FR", vat_id="ATU13585627")
    assert status == 400
    assert "gehört nicht zum angegebenen Land" in body
    assert not ClientAccount.objects.exists()
