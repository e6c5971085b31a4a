"""The issuing entity's own ledger accounts and the VAT booking of a credit note
(issued, or reversed by a cancellation)."""

from __future__ import annotations

import uuid
from typing import Final

from sprechzeit.core.money import Money
from sprechzeit.ledger import services as ledger
from sprechzeit.ledger.models import Account, AccountPurpose
from sprechzeit.ledger.services import TransferSpec
from sprechzeit.platforms.models import LegalEntity
from sprechzeit.statements.models import Statement
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
