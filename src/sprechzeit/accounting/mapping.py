"""The account mapping: which DATEV account (SKR 03 or SKR 04) each kind of ledger
account is exported to, and the BU keys (tax keys) of the revenue rows.

Declared once here and documented in docs/accounting.md; every number is for the tax
adviser to confirm. The kinds are the ledger's account purposes plus `partner_fees`, the
expense for the partners' shares (the ledger credits a share straight from the
consultation clearing to the partner's payable; the export shows it as an expense), and
two revenue kinds for consultations not taxed in Germany (by the client's VAT case).

Revenue accounts are plain accounts without VAT automatism (SKR 03 8200, SKR 04 4200):
a revenue row carries the gross amount and a BU key, and DATEV splits off the VAT onto
its VAT account. Every other VAT movement (credit notes, § 13b) is exported as a row on
the VAT account itself, without a BU key.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Final

from sprechzeit.ledger.models import AccountPurpose

PARTNER_FEES: Final = "partner_fees"
# Revenue from clients whose consultations are not taxed in Germany (accounts/vat_place).
REVENUE_REVERSE_CHARGE: Final = "revenue_reverse_charge"
REVENUE_NOT_TAXABLE: Final = "revenue_not_taxable"
SKR03: Final = "SKR03"
SKR04: Final = "SKR04"

# kind → (SKR 03, SKR 04, description)
ACCOUNTS: Final[dict[str, tuple[int, int, str]]] = {
    AccountPurpose.BANK: (1200, 1800, "Bank"),
    AccountPurpose.PAYOUT_IN_TRANSIT: (1360, 1460, "Geldtransit (Auszahlungen)"),
    AccountPurpose.PROVIDER_CLEARING: (1361, 1461, "Geldtransit Zahlungsanbieter"),
    AccountPurpose.CLIENT_RECEIVABLE: (1400, 1200, "Forderungen an Kunden"),
    AccountPurpose.INPUT_VAT: (1576, 1406, "Vorsteuer 19 % (Gutschriften)"),
    AccountPurpose.INPUT_VAT_13B: (1577, 1407, "Vorsteuer § 13b UStG 19 %"),
    AccountPurpose.CONSULTATION_CLEARING: (1590, 1370, "Durchlaufende Posten (Beratungen)"),
    AccountPurpose.PARTNER_PAYABLE: (1600, 3300, "Verbindlichkeiten gegenüber Beratern"),
    AccountPurpose.CLIENT_WALLET: (1710, 3250, "Erhaltene Anzahlungen (Kundenguthaben)"),
    AccountPurpose.CLIENT_BONUS: (1711, 3251, "Kundenbonus (Unterkonto)"),
    AccountPurpose.OUTPUT_VAT: (1776, 3806, "Umsatzsteuer 19 %"),
    AccountPurpose.OUTPUT_VAT_13B: (1787, 3837, "Umsatzsteuer § 13b UStG 19 %"),
    AccountPurpose.EQUITY: (800, 2900, "Gezeichnetes Kapital"),
    AccountPurpose.CHARGEBACK_LOSS: (2400, 6930, "Forderungsverluste (Rückbuchungen)"),
    AccountPurpose.WRITE_OFF: (2400, 6930, "Forderungsverluste (Abschreibungen)"),
    PARTNER_FEES: (3100, 5900, "Fremdleistungen (Anteile der Berater)"),
    AccountPurpose.PROMOTION_EXPENSE: (4600, 6600, "Werbekosten (Bonusguthaben)"),
    AccountPurpose.ROUNDING: (4900, 6300, "Sonstige betriebliche Aufwendungen (Rundung)"),
    AccountPurpose.PROVIDER_FEES: (4970, 6855, "Nebenkosten des Geldverkehrs"),
    AccountPurpose.PLATFORM_REVENUE: (8200, 4200, "Erlöse (mit BU-Schlüssel)"),
    REVENUE_REVERSE_CHARGE: (
        8336,
        4336,
        "Erlöse aus im anderen EU-Land steuerpflichtigen sonstigen Leistungen (§ 13b)",
    ),
    REVENUE_NOT_TAXABLE: (8338, 4338, "Erlöse aus im Drittland steuerbaren Leistungen"),
    AccountPurpose.OPENING_BALANCE: (9000, 9000, "Saldenvorträge"),
}

# VAT rate (percent) → BU key of a revenue row (DATEV: 2 = USt 7 %, 3 = USt 19 %), and
# the kind of the ledger account that holds the VAT split off by that key.
BU_KEYS: Final[dict[Decimal, str]] = {Decimal(19): "3", Decimal(7): "2"}
BU_VAT_KIND: Final = AccountPurpose.OUTPUT_VAT


def datev_account(*, kind: str, chart: str) -> int:
    """The DATEV account number of a kind in `chart` ("SKR03" or "SKR04")."""
    skr03, skr04, _text = ACCOUNTS[kind]
    return skr04 if chart == SKR04 else skr03


def bu_rate(key: str) -> Decimal:
    """The VAT rate a BU key of a revenue row stands for."""
    for rate, value in BU_KEYS.items():
        if value == key:
            return rate
    raise KeyError(key)
