"""VAT on the client side by place of supply: each case books exactly the VAT its rule
says, and a new country applies from the next top-up (accounts/vat_place.py)."""

from __future__ import annotations

import pytest

from sprechzeit.accounting import services
from sprechzeit.accounting.datev import accounts_movement
from sprechzeit.accounting.vat import vat_return
from sprechzeit.accounts.errors import InvalidVatId
from sprechzeit.accounts.models import ClientAccount
from sprechzeit.accounts.services import client_register, client_tax_details_change
from sprechzeit.accounts.tests.factories import partner_with_listing
from sprechzeit.accounts.vat_place import ClientVatCase, place_of_supply
from sprechzeit.consultations.models import PartnerPresence
from sprechzeit.consultations.services import presence_set
from sprechzeit.consultations.tests.factories import Scene, top_up
from sprechzeit.core import clock
from sprechzeit.ledger.models import AccountPurpose
from sprechzeit.ledger.selectors import account_balance
from sprechzeit.ledger.tests.helpers import assert_ledger_sound
from sprechzeit.payments.services.payments import payment_start
from sprechzeit.payments.services.sandbox import sandbox_deliver
from sprechzeit.payments.tests.factories import eur, sandbox_setup
from sprechzeit.platforms.models import Platform
from sprechzeit.statements.tests.factories import at, settled
from sprechzeit.wallets import services as wallets

pytestmark = pytest.mark.django_db

CASES = [
    # country, VAT ID, case, VAT of 10 minutes at 1,99 € (19,90 €)
    ("DE", "", ClientVatCase.DOMESTIC, 318),  # consumer in Germany
    ("AT", "", ClientVatCase.DOMESTIC, 318),  # consumer in the EU: German VAT
    ("CH", "", ClientVatCase.NOT_TAXABLE, 0),  # consumer outside the EU: § 3a Abs. 4
    ("US", "EIN 12-3456789", ClientVatCase.NOT_TAXABLE, 0),  # business outside the EU
    ("AT", "ATU13585627", ClientVatCase.REVERSE_CHARGE, 0),  # EU business: reverse charge
    ("DE", "DE136695976", ClientVatCase.DOMESTIC, 318),  # German business: German VAT
]


def client_in(platform: Platform, country: str, vat_id: str = "") -> ClientAccount:
    return client_register(
        platform=platform,
        email=f"{country.lower()}{len(vat_id)}{ClientAccount.objects.count()}@example.com",
        password=None,
        country=country,
        vat_id=vat_id,
    )


@pytest.mark.parametrize(("country", "vat_id", "case", "vat"), CASES)
def test_each_case_books_the_vat_its_rule_says(
    country: str, vat_id: str, case: ClientVatCase, vat: int
) -> None:
    with clock.frozen_at(at(2026, 10, 1)):
        platform, _config, _policy = sandbox_setup()
        partner, listing = partner_with_listing(platform=platform, rate_minor=199)
        client = client_in(platform, country, vat_id)
        top_up(client=client, minor=5000)
    assert client.vat_case == case
    presence_set(partner=partner, status=PartnerPresence.Status.ONLINE)
    consultation = settled(
        Scene(platform=platform, partner=partner, listing=listing, client=client),
        seconds=600,
        when=at(2026, 10, 5),
    )
    assert consultation.amount_minor == 1990
    assert consultation.vat_minor == vat
    assert consultation.vat_case == case
    # the partner's share is half of the net: the whole price when no VAT is due here
    assert consultation.partner_share_minor == (1990 - vat + 1) // 2
    output_vat = wallets.platform_account(platform=platform, purpose=AccountPurpose.OUTPUT_VAT)
    assert account_balance(account=output_vat).posted.minor == vat
    assert_ledger_sound()


def test_a_new_country_applies_from_the_next_top_up() -> None:
    platform, _config, policy = sandbox_setup()
    client = client_in(platform, "DE")
    assert client.vat_case == ClientVatCase.DOMESTIC
    client_tax_details_change(account=client, country="CH", vat_id="")
    client.refresh_from_db()
    assert (client.country, client.vat_case) == ("CH", ClientVatCase.DOMESTIC)
    payment = payment_start(
        client_account=client,
        policy=policy,
        amount=eur(2000),
        return_url="/r/{id}",
        cancel_url="/c",
        webhook_url="/h",
    )
    client.refresh_from_db()
    assert client.vat_case == ClientVatCase.DOMESTIC  # started, not paid
    sandbox_deliver(payment=payment, event_type="payment.succeeded")
    client.refresh_from_db()
    assert client.vat_case == ClientVatCase.NOT_TAXABLE
    assert_ledger_sound()


def test_vat_ids_are_checked() -> None:
    platform, _config, _policy = sandbox_setup()
    with pytest.raises(InvalidVatId):
        client_in(platform, "AT", "ATU00000000")  # bad check digit
    with pytest.raises(InvalidVatId):
        client_in(platform, "FR", "ATU13585627")  # another state's ID
    assert client_in(platform, "AT", "ATU 135 856 27").vat_id == "ATU13585627"
    # an ID the checker does not confirm (VIES unreachable) counts as none
    assert (
        place_of_supply(country="AT", vat_id="ATU13585627", checker=lambda _vat_id: None)
        == ClientVatCase.DOMESTIC
    )
    assert (
        place_of_supply(country="AT", vat_id="ATU13585627", checker=lambda _vat_id: True)
        == ClientVatCase.REVERSE_CHARGE
    )


def test_a_month_with_every_client_case_in_the_return_and_the_export() -> None:
    with clock.frozen_at(at(2026, 10, 1)):
        platform, _config, _policy = sandbox_setup()
        entity = platform.legal_entity
        entity.datev_consultant_number, entity.datev_client_number = 29098, 55003
        entity.save()
        partner, listing = partner_with_listing(platform=platform, rate_minor=199)
        clients = [client_in(platform, country, vat_id) for country, vat_id, *_ in CASES]
        for client in clients:
            top_up(client=client, minor=5000)
    presence_set(partner=partner, status=PartnerPresence.Status.ONLINE)
    consultations = [
        settled(Scene(platform, partner, listing, client), seconds=600, when=at(2026, 10, 5 + n))
        for n, client in enumerate(clients)
    ]
    figures = vat_return(legal_entity=entity, period="2026-10")
    # DE, AT consumer, DE business: 3 × (19,90 − 3,18); AT business: 19,90 (Kz 21);
    # CH consumer and US business: 2 × 19,90 (Kz 45)
    assert (figures.kz81_basis, figures.kz81_tax) == (3 * 1672, 3 * 318)
    assert (figures.kz21_basis, figures.kz45_basis) == (1990, 2 * 1990)
    assert figures.kz83_payable == 3 * 318
    assert figures.reconciled
    rows = services.datev_batch(legal_entity=entity, period="2026-10").rows
    revenue = sorted(
        (r.contra_account, r.bu_key, r.amount_minor) for r in rows if r.account == 1590
    )
    assert revenue == [
        (8200, "3", 1990),
        (8200, "3", 1990),
        (8200, "3", 1990),
        (8336, "", 1990),
        (8338, "", 1990),
        (8338, "", 1990),
    ]
    moved = accounts_movement(rows, chart="SKR03")
    assert moved[8200] == -3 * 1672
    assert moved[1776] == -3 * 318
    assert (moved[8336], moved[8338]) == (-1990, -2 * 1990)
    assert moved[3100] == sum(c.partner_share_minor or 0 for c in consultations)
    assert_ledger_sound()
