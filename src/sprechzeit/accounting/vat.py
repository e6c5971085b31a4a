"""The figures of the VAT advance return (Umsatzsteuer-Voranmeldung) of an operator
entity and period, from the settled consultations and the issued credit notes, and
reconciled with the ledger (docs/accounting.md).

- Kz 81 / 86: revenue taxed at 19 % / 7 % and its VAT: the consultations settled in the
  period (gross charge and its VAT; the rate is the one whose split of the gross gives
  exactly that VAT).
- Kz 21: services to businesses in other EU states, taxed there (reverse charge, to be
  reported in the recapitulative statement as well).
- Kz 45: other revenue not taxable in Germany (clients outside the EU).
- Kz 46 / 47: services of partners established in another EU state (§ 13b Abs. 1 UStG),
  basis and the VAT the entity owes; Kz 52 / 53 the same for partners outside the EU
  (§ 13b Abs. 2 Nr. 1 UStG), from the reverse-charge credit notes: an issued note
  counts in the month of its service, a cancellation in the month it is issued.
- Kz 67: the § 13b VAT deducted as input VAT (equal to Kz 47 + 53).
- Kz 66: input VAT of the regular partners' credit notes (and their cancellations)
  issued in the period.
- § 17 corrections (`accounting.vat_corrections`): the VAT booked on bonus-funded minutes
  and on consumption written off after a chargeback is booked back for its month and
  taken off Kz 81 (basis and tax).
- Kz 83: what is payable: the VAT of Kz 81, 86, 47 and 53 less Kz 66 and 67.

Every tax figure also comes straight from the movement of its ledger accounts in the
period (`ledger`); `reconciled` says whether the two agree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Final

from django.db.models import Q

from sprechzeit.accounting import mapping
from sprechzeit.accounting.datev import vat_key
from sprechzeit.accounting.selectors import POSTED_KINDS, entity_accounts
from sprechzeit.accounting.services import accounting_period
from sprechzeit.accounting.vat_corrections import PURPOSE as CORRECTION_PURPOSE
from sprechzeit.accounts.vat_place import ClientVatCase
from sprechzeit.consultations.models import Consultation
from sprechzeit.core.money import round_half_up
from sprechzeit.ledger.models import AccountPurpose, Transfer
from sprechzeit.platforms.models import LegalEntity
from sprechzeit.statements.models import Statement
from sprechzeit.statements.periods import Period
from sprechzeit.statements.vat import REVERSE_CHARGE_STATUSES, STANDARD_RATE, VatStatus

TAX_PURPOSES: Final = (
    AccountPurpose.OUTPUT_VAT,
    AccountPurpose.OUTPUT_VAT_13B,
    AccountPurpose.INPUT_VAT_13B,
    AccountPurpose.INPUT_VAT,
)
# Accounts whose bookings may name the month they belong to (`metadata.tax_period`): the
# § 13b VAT of a note (its service month) and the § 17 corrections of output VAT.
TAX_MONTH_ACCOUNTS: Final = (
    AccountPurpose.OUTPUT_VAT_13B,
    AccountPurpose.INPUT_VAT_13B,
    AccountPurpose.OUTPUT_VAT,
)


def euros(minor: int) -> str:
    sign = "-" if minor < 0 else ""
    return f"{sign}{abs(minor) // 100},{abs(minor) % 100:02d}"


@dataclass(slots=True)
class VatReturn:
    """Amounts in cents. Bases are exact here; the return itself takes whole euros for
    bases (cents dropped) and euros with cents for the tax."""

    period: Period
    kz81_basis: int = 0
    kz81_tax: int = 0
    kz86_basis: int = 0
    kz86_tax: int = 0
    kz21_basis: int = 0
    kz45_basis: int = 0
    kz46_basis: int = 0
    kz47_tax: int = 0
    kz52_basis: int = 0
    kz53_tax: int = 0
    kz66_input: int = 0
    kz67_input: int = 0
    # Of Kz 81's tax: what the § 17 corrections took off (bonus minutes, write-offs).
    kz81_corrections: int = 0
    # The same figures from the ledger accounts' movements in the period.
    ledger: dict[str, int] = field(default_factory=dict)

    @property
    def kz83_payable(self) -> int:
        return (
            self.kz81_tax
            + self.kz86_tax
            + self.kz47_tax
            + self.kz53_tax
            - self.kz66_input
            - self.kz67_input
        )

    @property
    def reconciled(self) -> bool:
        return self.ledger == {
            "output_vat": self.kz81_tax + self.kz86_tax,
            "output_vat_13b": self.kz47_tax + self.kz53_tax,
            "input_vat_13b": self.kz67_input,
            "input_vat": self.kz66_input,
        }

    def kennzahlen(self) -> dict[str, int]:
        return {
            "81": self.kz81_basis,
            "81 Steuer": self.kz81_tax,
            "86": self.kz86_basis,
            "86 Steuer": self.kz86_tax,
            "21": self.kz21_basis,
            "45": self.kz45_basis,
            "46": self.kz46_basis,
            "47": self.kz47_tax,
            "52": self.kz52_basis,
            "53": self.kz53_tax,
            "66": self.kz66_input,
            "67": self.kz67_input,
            "83": self.kz83_payable,
        }

    def lines(self) -> list[str]:
        out = [f"Umsatzsteuer-Voranmeldung {self.period.label}"]
        out += [f"Kz {kz:>9}: {euros(value):>14}" for kz, value in self.kennzahlen().items()]
        out.append(f"  davon Berichtigungen § 17 UStG (Steuer): {euros(-self.kz81_corrections)}")
        state = "ja" if self.reconciled else "NEIN"
        out.append(f"Mit dem Hauptbuch abgestimmt: {state} {self.ledger}")
        return out


def _consultations(vat_return: VatReturn, legal_entity: LegalEntity) -> None:
    start, end = vat_return.period.bounds()
    for amount, tax, case in Consultation.objects.filter(
        platform__legal_entity=legal_entity,
        settled_at__gte=start,
        settled_at__lt=end,
        amount_minor__gt=0,
    ).values_list("amount_minor", "vat_minor", "vat_case"):
        gross, vat = int(amount or 0), int(tax or 0)
        if not vat and case == ClientVatCase.REVERSE_CHARGE:
            vat_return.kz21_basis += gross
            continue
        key = vat_key(gross_minor=gross, vat_minor=vat) if vat else ""
        rate = mapping.bu_rate(key) if key else Decimal(0)
        if rate == Decimal(19):
            vat_return.kz81_basis += gross - vat
            vat_return.kz81_tax += vat
        elif rate == Decimal(7):
            vat_return.kz86_basis += gross - vat
            vat_return.kz86_tax += vat
        else:  # no VAT: a service not taxable in Germany (client outside the EU)
            vat_return.kz45_basis += gross - vat


def _months(period: Period) -> list[str]:
    months = []
    day = period.start
    while day <= period.end:
        months.append(f"{day:%Y-%m}")
        day = date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return months


def _statements(vat_return: VatReturn, legal_entity: LegalEntity) -> None:
    """Kz 66 from the regular credit notes and cancellations issued in the period; § 13b
    from the reverse-charge ones: a credit note in the month of its service, a
    cancellation in the month it was issued."""
    period = vat_return.period
    start, end = period.bounds()
    issued = Q(issued_at__gte=start, issued_at__lt=end)
    serviced = Q(
        kind=Statement.Kind.CREDIT_NOTE, period_end__gte=period.start, period_end__lte=period.end
    )
    rows = Statement.objects.filter(legal_entity=legal_entity, issued_at__isnull=False).filter(
        (Q(kind=Statement.Kind.CANCELLATION) & issued)
        | (Q(kind=Statement.Kind.CREDIT_NOTE) & issued & ~Q(vat_status__in=REVERSE_CHARGE_STATUSES))
        | (serviced & Q(vat_status__in=REVERSE_CHARGE_STATUSES))
    )
    for status, net, vat in rows.values_list("vat_status", "net_minor", "vat_minor"):
        if status not in REVERSE_CHARGE_STATUSES:
            vat_return.kz66_input += vat
            continue
        tax = round_half_up(Fraction(net) * Fraction(STANDARD_RATE) / 100)
        if status == VatStatus.EU_REVERSE_CHARGE:
            vat_return.kz46_basis += net
            vat_return.kz47_tax += tax
        else:
            vat_return.kz52_basis += net
            vat_return.kz53_tax += tax
        vat_return.kz67_input += tax


def _ledger_figures(vat_return: VatReturn, legal_entity: LegalEntity) -> None:
    """Per tax account of the entity: its movement in the period on its normal side.
    § 13b bookings count in the month their metadata name (the service month of an
    issued note), others in the month they were booked."""
    start, end = vat_return.period.bounds()
    booked = Q(created_at__gte=start, created_at__lt=end)
    tax_month = Q(metadata__tax_period__in=_months(vat_return.period)) | (
        ~Q(metadata__has_key="tax_period") & booked
    )
    own = entity_accounts(legal_entity=legal_entity)
    figures = {}
    for purpose in TAX_PURPOSES:
        ids = set(own.filter(purpose=purpose).values_list("pk", flat=True))
        when = tax_month if purpose in TAX_MONTH_ACCOUNTS else booked
        total = 0
        for debit_id, amount in (
            Transfer.objects.filter(Q(debit_account_id__in=ids) | Q(credit_account_id__in=ids))
            .filter(when, kind__in=POSTED_KINDS)
            .values_list("debit_account_id", "amount")
        ):
            total += amount if debit_id in ids else -amount
        normal = 1 if purpose in (AccountPurpose.INPUT_VAT, AccountPurpose.INPUT_VAT_13B) else -1
        figures[str(purpose)] = normal * total
    vat_return.ledger = figures


def _corrections(vat_return: VatReturn, legal_entity: LegalEntity) -> None:
    """§ 17 corrections booked for the months of the period (`vat_corrections`): Kz 81
    basis and tax less the net and the VAT of what brought no consideration."""
    for amount, metadata in Transfer.objects.filter(
        purpose=CORRECTION_PURPOSE,
        debit_account__in=entity_accounts(legal_entity=legal_entity),
        metadata__tax_period__in=_months(vat_return.period),
    ).values_list("amount", "metadata"):
        basis = int(metadata.get("basis_minor", 0))
        vat_return.kz81_basis -= basis - amount
        vat_return.kz81_tax -= amount
        vat_return.kz81_corrections += amount


def vat_return(*, legal_entity: LegalEntity, period: str) -> VatReturn:
    """The VAT advance return figures of `legal_entity` for `period` (month/quarter)."""
    figures = VatReturn(period=accounting_period(period))
    _consultations(figures, legal_entity)
    _corrections(figures, legal_entity)
    _statements(figures, legal_entity)
    _ledger_figures(figures, legal_entity)
    return figures
