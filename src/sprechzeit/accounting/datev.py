"""The DATEV posting batch of an operator entity and period, from the ledger.

One row per posted ledger transfer, Konto = the debited account, Gegenkonto = the
credited one (mapped by `mapping.ACCOUNTS`), side "S". One exception, for the split of
a consultation's charge: the ledger books it from the consultation clearing to output
VAT, to the partner's payable and to the operator's revenue. The export writes

- one revenue row: clearing → revenue, the gross amount (VAT + partner share + the
  operator's part) with the BU key of the VAT rate, so DATEV books the VAT itself and
  the revenue account holds the whole net amount the operator sold in its own name;
- one row for the partner's share: partner fees (expense) → the partner's payable.

Rows whose two accounts map to the same DATEV account are left out (they move nothing
there). The `accounts_movement` helper turns rows back into movements per DATEV account,
splitting off the VAT of BU-keyed rows as DATEV does; tests compare it with the ledger.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Final

from sprechzeit.accounting import mapping
from sprechzeit.accounting.extf import Row
from sprechzeit.accounting.selectors import SPLIT_LEGS, Movement, document_numbers
from sprechzeit.core.money import round_half_up
from sprechzeit.ledger.models import AccountPurpose

# Booking texts per ledger purpose (German: the accountant reads them in DATEV).
TEXTS: Final[dict[str, str]] = {
    "top_up": "Aufladung Guthaben",
    "consultation_charge": "Beratung Verbrauch Guthaben",
    "consultation_split": "Beratung Erlös",
    "consultation_partner": "Beratung Anteil Berater",
    "consultation_vat": "Beratung Umsatzsteuer",
    "consultation_revenue": "Beratung Erlös Betreiber",
    "credit_note_vat": "Gutschrift Vorsteuer",
    "credit_note_vat_13b": "Gutschrift Steuer § 13b UStG",
    "partner_payout": "Auszahlung Gutschrift",
    "provider_fee": "Gebühr Zahlungsanbieter",
    "chargeback_fee": "Gebühr Rückbuchung",
    "dispute_won": "Rückbuchung gewonnen",
    "refund": "Erstattung Guthaben",
    "refund_external": "Erstattung beim Anbieter",
    "refund_failed": "Erstattung fehlgeschlagen",
    "receivable_settled": "Forderung ausgeglichen",
    "receivable_written_off": "Forderung ausgebucht",
    "welcome_credit": "Startguthaben",
    "vat_correction_17": "Berichtigung USt § 17 UStG",
}
DOCUMENT_PREFIXES: Final[dict[str, str]] = {
    "consultation": "B-",
    "payment": "Z-",
    "client": "K-",
    "partner": "P-",
}


@dataclass(frozen=True, slots=True)
class DatevRow:
    """A row before the chart is applied: ledger kinds instead of account numbers."""

    amount_minor: int
    debit_kind: str
    credit_kind: str
    movement: Movement
    purpose: str
    bu_key: str = ""


def vat_key(*, gross_minor: int, vat_minor: int) -> str:
    """The BU key whose rate DATEV would split exactly `vat_minor` off `gross_minor`
    with (gross − net, net rounded half-up as the ledger does); "" when none does."""
    for rate, key in mapping.BU_KEYS.items():
        net = round_half_up(Fraction(gross_minor) * 100 / (100 + Fraction(rate)))
        if gross_minor - net == vat_minor:
            return key
    return ""


def split_key(movement: Movement) -> str:
    """What groups the legs of one charge split: the consultation, else the batch."""
    if movement.reference.startswith("consultation:"):
        return movement.reference
    return movement.batch_id


REVENUE_BY_CASE: Final[dict[str, str]] = {
    "reverse_charge": mapping.REVENUE_REVERSE_CHARGE,
    "not_taxable": mapping.REVENUE_NOT_TAXABLE,
}


def _split_rows(legs: Sequence[Movement], cases: Mapping[str, str]) -> list[DatevRow]:
    amounts: dict[str, int] = defaultdict(int)
    for leg in legs:
        amounts[leg.purpose] += leg.amount_minor
    first = legs[0]
    vat = amounts.get("consultation_vat", 0)
    partner = amounts.get("consultation_partner", 0)
    gross = vat + partner + amounts.get("consultation_revenue", 0)
    key = vat_key(gross_minor=gross, vat_minor=vat) if vat else ""
    rows = []
    if vat and not key:  # no rate fits: the VAT as its own row, the revenue net
        vat_leg = next(leg for leg in legs if leg.purpose == "consultation_vat")
        rows.append(
            DatevRow(vat, first.debit_kind, vat_leg.credit_kind, vat_leg, "consultation_vat")
        )
        gross -= vat
    revenue: str = AccountPurpose.PLATFORM_REVENUE
    if not vat:
        revenue = REVENUE_BY_CASE.get(cases.get(first.reference, ""), revenue)
    if gross:
        rows.append(
            DatevRow(
                gross,
                first.debit_kind,
                revenue,
                first,
                "consultation_split",
                key,
            )
        )
    if partner:
        partner_leg = next(leg for leg in legs if leg.purpose == "consultation_partner")
        rows.append(
            DatevRow(
                partner,
                mapping.PARTNER_FEES,
                partner_leg.credit_kind,
                partner_leg,
                "consultation_partner",
            )
        )
    return rows


def datev_rows(
    movements: Sequence[Movement], cases: Mapping[str, str] | None = None
) -> list[DatevRow]:
    """The rows of `movements` in booking order (see the module docstring). `cases`
    maps a consultation reference to its client's VAT case; a revenue row without VAT
    goes to the revenue account of that case."""
    cases = cases or {}
    # A consultation settles each of its holds in its own batch (the VAT taken from the
    # first holds); its legs are grouped by the consultation, so the revenue row has
    # the consultation's gross, from which DATEV splits off exactly the booked VAT.
    splits: dict[str, list[Movement]] = defaultdict(list)
    for movement in movements:
        if movement.purpose in SPLIT_LEGS:
            splits[split_key(movement)].append(movement)
    rows: list[DatevRow] = []
    for movement in movements:
        if movement.purpose not in SPLIT_LEGS:
            rows.append(
                DatevRow(
                    movement.amount_minor,
                    movement.debit_kind,
                    movement.credit_kind,
                    movement,
                    movement.purpose,
                )
            )
        elif splits[split_key(movement)][0] is movement:
            rows.extend(_split_rows(splits[split_key(movement)], cases))
    return rows


def _document(reference: str, numbers: dict[str, str]) -> str:
    if reference in numbers:
        return numbers[reference]
    kind, _sep, key = reference.partition(":")
    prefix = DOCUMENT_PREFIXES.get(kind)
    if prefix is None:
        return reference
    return prefix + key.replace("-", "").upper()


def extf_rows(rows: Sequence[DatevRow], *, chart: str) -> list[Row]:
    """The rows with DATEV account numbers, document numbers and texts."""
    numbers = document_numbers(row.movement.reference for row in rows)
    out = []
    for row in rows:
        account = mapping.datev_account(kind=row.debit_kind, chart=chart)
        contra = mapping.datev_account(kind=row.credit_kind, chart=chart)
        if account == contra:
            continue
        reference = row.movement.reference
        out.append(
            Row(
                amount_minor=row.amount_minor,
                account=account,
                contra_account=contra,
                day=row.movement.day,
                document=_document(reference, numbers),
                text=TEXTS.get(row.purpose, row.purpose),
                bu_key=row.bu_key,
            )
        )
    return out


def accounts_movement(rows: Sequence[Row], *, chart: str) -> dict[int, int]:
    """Debits − credits per DATEV account as DATEV books `rows`: a BU-keyed row puts
    its VAT (gross − net, net rounded half-up) on the VAT account and the rest on the
    Gegenkonto."""
    vat_account = mapping.datev_account(kind=mapping.BU_VAT_KIND, chart=chart)
    totals: dict[int, int] = defaultdict(int)
    for row in rows:
        sign = 1 if row.side == "S" else -1
        totals[row.account] += sign * row.amount_minor
        vat = 0
        if row.bu_key:
            rate = Fraction(Decimal(mapping.bu_rate(row.bu_key)))
            vat = row.amount_minor - round_half_up(Fraction(row.amount_minor) * 100 / (100 + rate))
            totals[vat_account] -= sign * vat
        totals[row.contra_account] -= sign * (row.amount_minor - vat)
    return {account: total for account, total in totals.items() if total}
