"""Where a consultation sold to a client is taxed (place of supply), from the client's
country of residence and, for a business, its VAT ID (docs/vat.md, for review by a tax
adviser).

- A consumer in Germany or another EU state: German VAT. A live consultation with a
  person is not an electronically supplied service; the place of supply is the
  operator's seat (§ 3a Abs. 1 UStG).
- A consumer outside the EU: not taxable in Germany (§ 3a Abs. 4 Satz 1 and 2 Nr. 3
  UStG: consulting-type services to a recipient resident in a third country).
- A business in another EU state with a checked VAT ID: the place of supply is the
  client's (§ 3a Abs. 2 UStG); the client owes the VAT there (reverse charge).
- A business outside the EU (with a tax number the client declares): not taxable in
  Germany (§ 3a Abs. 2 UStG).
- A business in Germany: German VAT, and an invoice.

A VAT ID is checked for its format (python-stdnum) and then by a `VatIdChecker` (VIES
in production); an ID the checker does not confirm counts as none: German VAT.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Final, Protocol

from django.conf import settings
from django.db import models
from django.utils.module_loading import import_string
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from stdnum.eu import vat as eu_vat

from sprechzeit.core.countries import EU_MEMBER_STATES

HOME: Final = "DE"
EU: Final = EU_MEMBER_STATES


class ClientVatCase(models.TextChoices):
    DOMESTIC = "de", _("Deutsche Umsatzsteuer")
    NOT_TAXABLE = "not_taxable", _("Im Inland nicht steuerbar (Drittland)")
    REVERSE_CHARGE = "reverse_charge", _("Steuerschuldnerschaft des Leistungsempfängers (EU)")


class VatIdChecker(Protocol):
    def __call__(self, vat_id: str) -> bool | None:
        """True: the ID is valid and active; False: it is not; None: no answer."""


def vat_id_checker() -> VatIdChecker:
    """The configured checker (`SPRECHZEIT_VAT_ID_CHECKER`, a dotted path)."""
    path = getattr(settings, "SPRECHZEIT_VAT_ID_CHECKER", "")
    checker: VatIdChecker = import_string(path) if path else no_vies
    return checker


def no_vies(vat_id: str) -> bool | None:
    """Without a VIES connection nothing is confirmed: such clients pay German VAT."""
    return None


def format_only(vat_id: str) -> bool | None:
    """A test and demo double: every well-formed ID counts as confirmed."""
    return eu_vat.is_valid(vat_id)


def vat_id_clean(value: str) -> str:
    """The compact form of a VAT ID ("ATU 135 856 27" → "ATU13585627"); "" stays ""."""
    return eu_vat.compact(value) if value.strip() else ""


def vat_id_country(vat_id: str) -> str:
    """The ISO country of a VAT ID (its prefix; EL is Greece)."""
    prefix = vat_id[:2].upper()
    return "GR" if prefix == "EL" else prefix


def vat_id_problem(*, vat_id: str, country: str) -> str | None:
    """Why `vat_id` cannot be a business client's in `country` (None: it can)."""
    if not vat_id:
        return None
    if country not in EU:
        return None  # a third-country business: its tax number is not checked here
    if not eu_vat.is_valid(vat_id):
        return str(_("Diese USt-IdNr. ist nicht gültig."))
    if vat_id_country(vat_id) != country:
        return str(_("Die USt-IdNr. gehört nicht zum angegebenen Land."))
    return None


def place_of_supply(
    *, country: str, vat_id: str, checker: Callable[[str], bool | None] | None = None
) -> ClientVatCase:
    """The VAT case of a client resident in `country` (see the module docstring)."""
    country = country.upper()
    if country == HOME or not country:
        return ClientVatCase.DOMESTIC
    if country not in EU:
        return ClientVatCase.NOT_TAXABLE
    if vat_id and vat_id_problem(vat_id=vat_id, country=country) is None:
        confirmed = (checker or vat_id_checker())(vat_id)
        if confirmed:
            return ClientVatCase.REVERSE_CHARGE
    return ClientVatCase.DOMESTIC


def vat_case_text(*, case: str, rate: Decimal, vat_id: str) -> str:
    """What a client's documents (receipts, the consumption statement) say about VAT
    in the VAT case `case` (`rate`: the platform's German rate)."""
    if case == ClientVatCase.NOT_TAXABLE:
        return gettext(
            "Beratungsleistungen an Empfänger mit Wohnsitz oder Sitz außerhalb der EU sind "
            "in Deutschland nicht steuerbar (§ 3a Abs. 4 UStG); Ihre Beratungen werden ohne "
            "deutsche Umsatzsteuer berechnet."
        )
    if case == ClientVatCase.REVERSE_CHARGE:
        return gettext(
            "Steuerschuldnerschaft des Leistungsempfängers (Reverse Charge, Art. 196 "
            "MwStSystRL): Ihre Beratungen werden ohne deutsche Umsatzsteuer berechnet; "
            "USt-IdNr. des Leistungsempfängers: %(vat_id)s."
        ) % {"vat_id": vat_id}
    percent = f"{rate:.0f}" if rate == rate.to_integral_value() else f"{rate}".replace(".", ",")
    return gettext(
        "Die Preise Ihrer Beratungen enthalten %(rate)s %% Umsatzsteuer; sie entsteht mit "
        "jeder Beratung und steht in Ihrer monatlichen Verbrauchsübersicht."
    ) % {"rate": percent}
