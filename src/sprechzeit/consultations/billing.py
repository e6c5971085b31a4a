"""The money side of a consultation, in one place: which ledger accounts it touches,
holds on the client's wallet, and the one settlement batch.

This adapter talks to the ledger services directly. When the wallets app offers
`wallet_hold` / `wallet_settle`, only this module changes.

Accounts (owner references follow the ledger's convention "app.model" + primary key):
- the client's wallet: CLIENT_WALLET of `accounts.clientaccount:<id>`;
- CONSULTATION_CLEARING (system, hot): the credit side of every hold;
- OUTPUT_VAT and PLATFORM_REVENUE of `platforms.platform:<id>` (hot);
- PARTNER_PAYABLE of `accounts.listing:<id>`: the partner's share per platform, because
  statements and credit notes are issued per platform's legal entity.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Final

from sprechzeit.accounts.models import ClientAccount
from sprechzeit.consultations.models import Consultation, ConsultationHold
from sprechzeit.core.money import Money, round_half_up
from sprechzeit.ledger import services as ledger
from sprechzeit.ledger.booking import TransferSpec
from sprechzeit.ledger.models import Account, AccountPurpose, TransferKind
from sprechzeit.ledger.selectors import account_balance

# Ids of every transfer a consultation books derive from its id: a retry books nothing new.
NAMESPACE: Final = uuid.UUID("5f0e9a3c-2c1b-4a8e-9d7a-3c4b1e2f6a70")
# Holds outlive the longest consultation by a day: expiry is the last safety net only.
HOLD_MARGIN: Final = timedelta(days=1)


def transfer_id(consultation: Consultation, leg: str) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, f"consultation:{consultation.pk}:{leg}")


def wallet_account(*, client: ClientAccount, currency: str) -> Account:
    return ledger.account_get_or_create(
        purpose=AccountPurpose.CLIENT_WALLET,
        currency=currency,
        owner_type="accounts.clientaccount",
        owner_id=str(client.pk),
    )


def client_available(*, client: ClientAccount, currency: str) -> Money:
    """What the client may spend now: posted balance minus open holds."""
    return account_balance(account=wallet_account(client=client, currency=currency)).available


def partner_payable_account(*, consultation: Consultation) -> Account:
    return ledger.account_get_or_create(
        purpose=AccountPurpose.PARTNER_PAYABLE,
        currency=consultation.currency,
        owner_type="accounts.listing",
        owner_id=str(consultation.listing_id),
    )


def _platform_account(purpose: AccountPurpose, consultation: Consultation) -> Account:
    return ledger.account_get_or_create(
        purpose=purpose,
        currency=consultation.currency,
        owner_type="platforms.platform",
        owner_id=str(consultation.platform_id),
    )


def _clearing(currency: str) -> Account:
    return ledger.account_get_or_create(
        purpose=AccountPurpose.CONSULTATION_CLEARING, currency=currency
    )


def hold_add(*, consultation: Consultation, amount: Money, seq: int) -> ConsultationHold:
    """Reserve `amount` of the client's wallet for `consultation` (hold number `seq`).

    Caller holds the consultation's row lock and the transaction. Raises the ledger's
    `ExceedsCredits` when the wallet cannot cover it (nothing booked).
    """
    hold_id = transfer_id(consultation, f"hold:{seq}")
    result = ledger.hold_create(
        id=hold_id,
        debit_account=wallet_account(client=consultation.client, currency=consultation.currency),
        credit_account=_clearing(consultation.currency),
        amount=amount,
        timeout=timedelta(seconds=consultation.max_duration_seconds) + HOLD_MARGIN,
        purpose="consultation_hold",
        reference=f"consultation:{consultation.pk}",
    )
    return ConsultationHold.objects.create(
        consultation=consultation,
        seq=seq,
        transfer_id=hold_id,
        amount_minor=amount.minor,
        created_at=result.created_at,
    )


@dataclass(frozen=True, slots=True)
class Split:
    """How a gross amount divides: output VAT, the partner's share, the platform's."""

    gross: Money
    vat: Money
    partner: Money
    platform: Money


def split_amount(*, gross: Money, vat_rate: Decimal, revenue_share: Decimal) -> Split:
    """VAT is contained in the gross price; the partner's share is a percentage of the
    net amount. Two roundings (net, share), each half-up; the parts add up to `gross`."""
    net_minor = round_half_up(Fraction(gross.minor) * 100 / (100 + Fraction(vat_rate)))
    partner_minor = round_half_up(Fraction(net_minor) * Fraction(revenue_share) / 100)
    return Split(
        gross=gross,
        vat=Money(gross.minor - net_minor, gross.currency),
        partner=Money(partner_minor, gross.currency),
        platform=Money(net_minor - partner_minor, gross.currency),
    )


def settlement_book(*, consultation: Consultation, split: Split) -> uuid.UUID:
    """Post the rated amount from the consultation's holds (in order) into clearing,
    void what is left, and split clearing into VAT, partner share and platform revenue:
    one linked batch, all or nothing, with ids derived from the consultation, so a retry
    returns the first outcome. Caller holds the row lock; the amount is at most held."""
    remaining = split.gross.minor
    specs: list[TransferSpec] = []
    for hold in consultation.holds.order_by("seq"):
        posted = min(remaining, hold.amount_minor)
        remaining -= posted
        if posted > 0:
            specs.append(
                TransferSpec(
                    id=transfer_id(consultation, f"post:{hold.seq}"),
                    kind=TransferKind.POST_PENDING,
                    pending_id=hold.transfer_id,
                    amount=Money(posted, consultation.currency),
                    purpose="consultation_charge",
                    reference=f"consultation:{consultation.pk}",
                )
            )
        else:
            specs.append(
                TransferSpec(
                    id=transfer_id(consultation, f"void:{hold.seq}"),
                    kind=TransferKind.VOID_PENDING,
                    pending_id=hold.transfer_id,
                    purpose="consultation_release",
                    reference=f"consultation:{consultation.pk}",
                )
            )
    if remaining > 0:
        raise AssertionError("settlement above the held amount")  # pragma: no cover
    clearing = _clearing(consultation.currency)
    legs = (
        ("vat", _platform_account(AccountPurpose.OUTPUT_VAT, consultation), split.vat),
        ("partner", partner_payable_account(consultation=consultation), split.partner),
        (
            "platform",
            _platform_account(AccountPurpose.PLATFORM_REVENUE, consultation),
            split.platform,
        ),
    )
    for leg, account, amount in legs:
        if amount.minor > 0:
            specs.append(
                TransferSpec(
                    id=transfer_id(consultation, f"split:{leg}"),
                    debit_account=clearing,
                    credit_account=account,
                    amount=amount,
                    purpose=f"consultation_{leg}",
                    reference=f"consultation:{consultation.pk}",
                )
            )
    if not specs:
        return transfer_id(consultation, "batch")
    batch = ledger.transfers_post_linked(
        transfers=specs, batch_id=transfer_id(consultation, "batch")
    )
    return batch.batch_id
