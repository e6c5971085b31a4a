"""A partner's declared VAT status checked against where they are and their VAT ID
(pure; `services.tax_profile.tax_fields_check` calls it with the merged profile).

- The country is an ISO 3166 code (babel's territories); "XX" and the like are refused.
- Regular taxation (19 %) and the § 19 small-business rule are German statuses: a
  partner outside Germany is a reverse-charge case, and showing German VAT for an
  Austrian business would be VAT shown wrongly (§ 14c UStG).
- Reverse charge inside the EU needs a business in another member state, with a VAT ID
  of that state (prefix, and the country's own format and check digits via stdnum).
- Outside the EU means outside: an EU address or an EU VAT ID is refused.
"""

from __future__ import annotations

import functools
from typing import Final

from babel import Locale
from django.utils.translation import gettext as _

from sprechzeit.core.countries import EU_MEMBER_STATES
from sprechzeit.statements.vat import VatStatus

# Greece's VAT IDs start with EL; Northern Ireland trades goods as XI (not used here).
VAT_PREFIX: Final = {"GR": "EL"}
EU_VAT_PREFIXES: Final = frozenset(VAT_PREFIX.get(code, code) for code in EU_MEMBER_STATES)
NOT_COUNTRIES: Final = frozenset({"EU", "EZ", "QO", "UN", "XA", "XB", "ZZ"})


@functools.cache
def countries() -> frozenset[str]:
    """ISO 3166-1 alpha-2 codes (as CLDR knows them)."""
    codes = [code for code in Locale("en").territories if isinstance(code, str)]
    return frozenset(
        code for code in codes if len(code) == 2 and code.isalpha() and code not in NOT_COUNTRIES
    )


def vat_prefix(country: str) -> str:
    return VAT_PREFIX.get(country, country)


def status_problems(*, status: str, country: str, vat_id: str) -> dict[str, str]:
    """{field: message} for a status that does not fit the country or the VAT ID."""
    if country not in countries():
        return {
            "country": _("„%(country)s“ ist kein Ländercode (ISO 3166, z. B. DE, AT, CH).")
            % {"country": country}
        }
    problems: dict[str, str] = {}
    in_eu = country in EU_MEMBER_STATES
    if status in (VatStatus.REGULAR, VatStatus.SMALL_BUSINESS) and country != "DE":
        problems["vat_status"] = _(
            "Regelbesteuerung und Kleinunternehmerregelung gelten nur mit Sitz in "
            "Deutschland; für %(country)s bitte Reverse Charge wählen."
        ) % {"country": country}
    elif status == VatStatus.EU_REVERSE_CHARGE and country == "DE":
        problems["country"] = _("Reverse Charge gilt nur für Unternehmer außerhalb Deutschlands.")
    elif status == VatStatus.EU_REVERSE_CHARGE and not in_eu:
        problems["vat_status"] = _(
            "%(country)s gehört nicht zur EU: bitte „außerhalb der EU“ wählen."
        ) % {"country": country}
    elif status == VatStatus.NON_EU and in_eu:
        problems["vat_status"] = _(
            "%(country)s gehört zur EU: bitte Regelbesteuerung, Kleinunternehmer oder "
            "Reverse Charge in der EU wählen."
        ) % {"country": country}
    prefix = vat_id[:2].upper()
    if vat_id and in_eu and prefix != vat_prefix(country):
        problems["vat_id"] = _("Die USt-IdNr. %(vat_id)s gehört nicht zu %(country)s.") % {
            "vat_id": vat_id,
            "country": country,
        }
    elif vat_id and not in_eu and prefix in EU_VAT_PREFIXES:
        problems["vat_id"] = _(
            "Eine USt-IdNr. aus der EU passt nicht zu einem Sitz außerhalb der EU."
        )
    return problems
