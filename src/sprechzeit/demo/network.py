"""The simulated partners' tax and bank data, so month end runs on a simulation: the
partners of `consultations.simulation.simulate` (by its prefix) get complete profiles in
all four VAT cases — regular (DE), § 19 small business (DE, tax number only), reverse
charge inside the EU (AT, VAT ID) and outside the EU (CH) — with SEPA IBANs and the
account holders' names as the bank has them (umlauts, ß, "&"). Every sixth partner's
data is incomplete (none at all, or no self-billing consent), so the close holds them.

Deterministic for a seed; saved through `statements.services.tax_profile_save` (the
same checks as the portal), at the simulation's start time.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Final

from schwifty import IBAN
from stdnum.at import uid as at_uid
from stdnum.ch import uid as ch_uid
from stdnum.iso7064 import mod_11_10

from sprechzeit.accounts.models import Partner
from sprechzeit.consultations.simulation import START, partner_name
from sprechzeit.core import clock
from sprechzeit.legal.services import legal_documents_start
from sprechzeit.statements.services import self_billing_accept, tax_profile_save
from sprechzeit.statements.vat import VatStatus

CASES: Final = (
    VatStatus.REGULAR,
    VatStatus.SMALL_BUSINESS,
    VatStatus.EU_REVERSE_CHARGE,
    VatStatus.NON_EU,
    VatStatus.REGULAR,
)
INCOMPLETE_EVERY: Final = 6  # the 6th, 12th, … partner: held at the close
AGREEMENT: Final = "2026-01"


@dataclass
class NetworkReport:
    profiles: Counter[str] = field(default_factory=Counter)
    incomplete: int = 0

    def render(self) -> str:
        cases = ", ".join(f"{status} {count}" for status, count in sorted(self.profiles.items()))
        return f"tax profiles: {cases}; incomplete (held at close): {self.incomplete}"


def _ch_uid(n: int) -> str:
    for base in range(10_000_000 + n * 97, 99_999_999):
        digits = f"{base:08d}"
        check = ch_uid.calc_check_digit(digits)
        if len(check) == 1:
            return ch_uid.format(f"CHE{digits}{check}")
    raise AssertionError("unreachable")  # pragma: no cover


def _fields(n: int, seed: int, status: VatStatus) -> dict[str, Any]:
    """Address, tax ids and bank account of the n-th partner in its VAT case."""
    first, last = partner_name(n)
    account = f"{seed % 1000:03d}{n:05d}"
    name = f"{first} {last}"
    if status == VatStatus.REGULAR:
        iban = IBAN.generate("DE", bank_code="10010010", account_code=account)
        # a business name with "&", as the account holder is registered at the bank
        name = f"{name} & Söhne" if n % 2 == 0 else name
        where = {"street": "Schönhauser Allee", "postal_code": "10437", "city": "Berlin"}
        ids = {"vat_id": f"DE{_de_vat(seed, n)}", "tax_number": ""}
    elif status == VatStatus.SMALL_BUSINESS:
        iban = IBAN.generate("DE", bank_code="37040044", account_code=account)
        where = {"street": "Königstraße", "postal_code": "70173", "city": "Stuttgart"}
        ids = {"vat_id": "", "tax_number": f"93/{seed % 1000:03d}/{n:05d}"}
    elif status == VatStatus.EU_REVERSE_CHARGE:
        iban = IBAN.generate("AT", bank_code="19043", account_code=account)
        digits = f"{(seed * 31 + n * 7) % 10**7:07d}"
        where = {"street": "Mariahilfer Straße", "postal_code": "1060", "city": "Wien"}
        ids = {"vat_id": f"ATU{digits}{at_uid.calc_check_digit('U' + digits)}", "tax_number": ""}
    else:
        iban = IBAN.generate("CH", bank_code="00762", account_code=account)
        where = {"street": "Bahnhofstrasse", "postal_code": "8001", "city": "Zürich"}
        ids = {"vat_id": "", "tax_number": _ch_uid(n)}
    country = iban.country_code
    return {
        "legal_name": name,
        "building_number": str(n + 1),
        "country": country,
        "vat_status": status,
        "iban": iban.compact,
        "account_holder": name,
        "self_billing_accepted_at": START,
        "self_billing_version": AGREEMENT,
        **where,
        **ids,
    }


def _de_vat(seed: int, n: int) -> str:
    body = f"{1 + n % 9}{(seed * 131 + n * 17) % 10**7:07d}"
    return f"{body}{mod_11_10.calc_check_digit(body)}"


def simulation_tax_data(*, prefix: str, partners: int, seed: int) -> NetworkReport:
    """Tax and bank data for the simulation's partners `berater<n>@<prefix>.example.com`
    (see the module)."""
    report = NetworkReport()
    with clock.frozen_at(START):
        for n in range(partners):
            partner = Partner.objects.get(user__email=f"berater{n}@{prefix}.example.com")
            status = CASES[n % len(CASES)]
            fields = _fields(n, seed, status)
            if n % INCOMPLETE_EVERY == INCOMPLETE_EVERY - 1:
                report.incomplete += 1
                if (n // INCOMPLETE_EVERY) % 2 == 0:
                    continue  # no data at all
                fields["self_billing_accepted_at"] = None  # no consent yet
                fields["self_billing_version"] = ""
            else:
                report.profiles[str(status)] += 1
            tax_profile_save(partner=partner, **fields)
            if fields["self_billing_accepted_at"]:
                _self_billing(partner)
    return report


def _self_billing(partner: Partner) -> None:
    """The partner's consent to self-billing with each entity of their platforms (the
    platforms' starter agreement is issued first where missing)."""
    for listing in partner.listings.select_related("platform__legal_entity"):
        legal_documents_start(platform=listing.platform)
    self_billing_accept(partner=partner)
