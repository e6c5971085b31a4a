"""The client's billing details: country and VAT ID (they decide the VAT case from the
next top-up, `accounts.client_tax_details_change`), whether they buy as a business and
the invoice address (`ClientBilling`). The VAT ID is checked for its format and country
(python-stdnum) and then by the pluggable checker (VIES in production,
`accounts.vat_place.vat_id_checker`)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from sprechzeit.accounting.models import ClientBilling
from sprechzeit.accounts.models import ClientAccount
from sprechzeit.accounts.services import client_tax_details_change
from sprechzeit.accounts.vat_place import EU, ClientVatCase, place_of_supply, vat_id_checker
from sprechzeit.core import clock


@dataclass(frozen=True, slots=True)
class BillingSaved:
    billing: ClientBilling
    # The case the next top-up puts in force, and whether the checker confirmed the ID
    # (None: no VAT ID, not an EU one, or no answer).
    next_case: ClientVatCase
    vat_id_confirmed: bool | None


@transaction.atomic
def client_billing_save(
    *,
    client: ClientAccount,
    country: str,
    vat_id: str,
    is_business: bool,
    name: str,
    street: str,
    postal_code: str,
    city: str,
) -> BillingSaved:
    """Save the client's billing details; raises `accounts.errors.InvalidVatId` (field
    `country` or `vat_id`) for a bad country or VAT ID, changing nothing."""
    ClientAccount.objects.select_for_update().filter(pk=client.pk).first()
    client_tax_details_change(account=client, country=country, vat_id=vat_id)
    billing, _created = ClientBilling.objects.update_or_create(
        client=client,
        defaults={
            "is_business": is_business or bool(client.vat_id),
            "name": name.strip(),
            "street": street.strip(),
            "postal_code": postal_code.strip(),
            "city": city.strip(),
            "updated_at": clock.now(),
        },
    )
    confirmed = vat_id_checker()(client.vat_id) if client.vat_id and client.country in EU else None
    case = place_of_supply(country=client.country, vat_id=client.vat_id)
    return BillingSaved(billing=billing, next_case=case, vat_id_confirmed=confirmed)
