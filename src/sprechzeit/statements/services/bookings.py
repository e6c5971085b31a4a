"""The issuing entity's own ledger accounts and the VAT bookings of a credit note
(issued, or reversed by a cancellation): the regular VAT owed to the partner, and the
reverse-charge VAT (§ 13b UStG) the entity owes and deducts itself."""

from __future__ import annotations

import uuid
from datetime import date
from fractions import Fraction
from typing import Final

from sprechzeit.core.money import Money, round_half_up
from sprechzeit.ledger import services as ledger
from sprechzeit.ledger.models import Account, AccountPurpose
from sprechzeit.ledger.services import TransferSpec
from sprechzeit.platforms.models import LegalEntity
from sprechzeit.statements.models import Statement
from sprechzeit.statements.vat import REVERSE_CHARGE_STATUSES, STANDARD_RATE, VatStatus
from sprechzeit.wallets import services as wallets

NAMESPACE: Final = uuid.UUID("0b6f3c5e-51a3-4d0e-a7f4-7e9d2c1b8a44")
OWNER_ENTITY: Final = "platforms.legalentity"


def entity_account(*, legal_entity: LegalEntity, purpose: AccountPurpose) -> Account:
    """An issuing entity's own account (input VAT, payouts in transit, bank)."""
    return ledger.account_get_or_create(
        purpose=purpose,
        owner_type=OWNER_ENTITY,
        owner_id=str(legal_entity.pk),
        name=f"{legal_entity.name} {purpose}",
    )


def vat_spec(*, statement: Statement, vat_minor: int, key: str) -> TransferSpec | None:
    """The booking of a credit note's regular VAT (see `vat_book`); None without VAT."""
    if not vat_minor:
        return None
    input_vat = entity_account(
        legal_entity=statement.legal_entity, purpose=AccountPurpose.INPUT_VAT
    )
    payable = wallets.partner_payable_account(
        partner=statement.partner, currency=statement.currency
    )
    debit, credit = (input_vat, payable) if vat_minor > 0 else (payable, input_vat)
    return TransferSpec(
        id=uuid.uuid5(NAMESPACE, key),
        debit_account=debit,
        credit_account=credit,
        amount=Money(abs(vat_minor), statement.currency),
        purpose="credit_note_vat",
        reference=f"statement:{statement.pk}",
    )


def vat_book(*, statement: Statement, vat_minor: int, key: str) -> None:
    """Regular VAT on a credit note is owed to the partner on top of the net share and
    deducted by the issuing entity as input VAT: input VAT → partner payable (reversed
    by a cancellation). Caller holds the transaction."""
    spec = vat_spec(statement=statement, vat_minor=vat_minor, key=key)
    if spec is not None:
        ledger.transfers_post_linked(transfers=[spec])


def reverse_charge_spec(
    *, statement: Statement, status: str, basis_minor: int, key: str, tax_month: date | None
) -> TransferSpec | None:
    """The reverse-charge booking of a credit note to a partner abroad: the entity owes
    19 % VAT on the net amount and deducts the same as input VAT (input VAT § 13b →
    VAT § 13b; reversed for a negative basis). The metadata keep the basis, the case and
    the month whose VAT return the tax belongs to: the month of the service when the
    note is issued (§ 13b Abs. 1 UStG), the month of the booking when it is cancelled
    (`tax_month` None, § 17 UStG). None for other VAT cases or a zero basis."""
    if status not in REVERSE_CHARGE_STATUSES or not basis_minor:
        return None
    tax = round_half_up(Fraction(abs(basis_minor)) * Fraction(STANDARD_RATE) / 100)
    if not tax:
        return None
    entity = statement.legal_entity
    deductible = entity_account(legal_entity=entity, purpose=AccountPurpose.INPUT_VAT_13B)
    owed = entity_account(legal_entity=entity, purpose=AccountPurpose.OUTPUT_VAT_13B)
    debit, credit = (deductible, owed) if basis_minor > 0 else (owed, deductible)
    metadata: dict[str, object] = {
        "basis_minor": basis_minor,
        "case": "eu" if status == VatStatus.EU_REVERSE_CHARGE else "non_eu",
    }
    if tax_month is not None:
        metadata["tax_period"] = f"{tax_month:%Y-%m}"
    return TransferSpec(
        id=uuid.uuid5(NAMESPACE, key),
        debit_account=debit,
        credit_account=credit,
        amount=Money(tax, statement.currency),
        purpose="credit_note_vat_13b",
        reference=f"statement:{statement.pk}",
        metadata=metadata,
    )
