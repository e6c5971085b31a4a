"""A payout's two endings, booked once each: the bank executed it (payout in transit →
bank) or it came back (→ the partner's payable, partner blocked until the IBAN is
changed). Every booking's id derives from the payout and the step, so a repeated answer
cannot book twice even if it slipped past the bank-line check.

Callers hold the transaction and the payout's row lock.
"""

from __future__ import annotations

import uuid
from typing import Final

from sprechzeit.core import clock
from sprechzeit.core.money import Money
from sprechzeit.ledger import services as ledger
from sprechzeit.ledger.models import Account, AccountPurpose
from sprechzeit.payouts.mails import payout_mail_on_commit
from sprechzeit.payouts.models import Payout
from sprechzeit.statements.models import PartnerTaxProfile
from sprechzeit.statements.services import entity_account
from sprechzeit.wallets import services as wallets

NAMESPACE: Final = uuid.UUID("9a7d6f0e-3b2c-4e51-8f1a-6c5d4b3a2e19")


def _book(step: str, debit: Account, credit: Account, payout: Payout, purpose: str) -> None:
    ledger.transfer_post(
        id=uuid.uuid5(NAMESPACE, f"{payout.pk}:{step}"),
        debit_account=debit,
        credit_account=credit,
        amount=Money(payout.amount_minor, payout.currency),
        purpose=purpose,
        reference=f"payout:{payout.pk}",
    )


def _accounts(payout: Payout) -> tuple[Account, Account]:
    entity = payout.run.legal_entity
    return (
        entity_account(legal_entity=entity, purpose=AccountPurpose.PAYOUT_IN_TRANSIT),
        entity_account(legal_entity=entity, purpose=AccountPurpose.BANK),
    )


def payout_confirm(*, payout: Payout) -> None:
    """The bank executed the payout (its own line, or a collective entry): payout in
    transit → bank. The payout is in transit."""
    in_transit, bank = _accounts(payout)
    _book("confirm", in_transit, bank, payout, "partner_payout_confirmed")
    payout.status = Payout.Status.CONFIRMED
    payout.settled_at = clock.now()
    payout.save(update_fields=["status", "settled_at"])
    payout_mail_on_commit(payout=payout)


def payout_return(*, payout: Payout, reason_code: str, rejected: bool = False) -> None:
    """The bank returned (camt.053/054, after executing) or rejected (pain.002, before) a
    payout: its amount goes back to the partner's payable, and the partner's payouts are
    blocked until the IBAN is changed. A return of a payout still in transit was executed
    first (its collective entry may come later): it is confirmed, then returned, so the
    collective entry finds it executed. The payout is in transit or confirmed."""
    if payout.status == Payout.Status.IN_TRANSIT and not rejected:
        payout_confirm(payout=payout)
    in_transit, bank = _accounts(payout)
    payable = wallets.partner_payable_account(partner=payout.partner, currency=payout.currency)
    source = in_transit if payout.status == Payout.Status.IN_TRANSIT else bank
    _book("return", source, payable, payout, "partner_payout_returned")
    payout.status = Payout.Status.RETURNED
    payout.return_reason = reason_code
    payout.settled_at = clock.now()
    payout.save(update_fields=["status", "return_reason", "settled_at"])
    # Composed after commit from the row: a return of a payout in transit (confirmed
    # first) mails the return once, not the confirmation.
    payout_mail_on_commit(payout=payout)
    what = "Ablehnung durch die Bank" if rejected else "Rücküberweisung der Bank"
    PartnerTaxProfile.objects.filter(partner=payout.partner).update(
        iban_verified_at=None,
        payout_blocked_reason=f"{what} ({reason_code}): bitte IBAN und Kontoinhaber prüfen.",
    )
