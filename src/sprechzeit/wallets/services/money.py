"""Money in and out of a wallet: credits (receivable first), chargebacks (into the
receivable when spent), refunds of paid balance, write-offs."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.db import transaction

from sprechzeit.accounts.models import ClientAccount
from sprechzeit.core import clock
from sprechzeit.core.money import Money
from sprechzeit.ledger import errors as ledger_errors
from sprechzeit.ledger import selectors as ledger_selectors
from sprechzeit.ledger import services as ledger
from sprechzeit.ledger.models import Account, AccountPurpose
from sprechzeit.ledger.services import TransferSpec
from sprechzeit.wallets import errors
from sprechzeit.wallets.locks import wallet_lock_against_stale_balance
from sprechzeit.wallets.services.accounts import (
    BLOCK_CHARGEBACK,
    booked_amount,
    leg_id,
    platform_account,
    transfers_booked,
    wallet_check_currency,
    wallet_for,
)
from sprechzeit.wallets.signals import balance_credited_on_commit, receivable_settled_on_commit


@dataclass(frozen=True, slots=True)
class WalletCredit:
    """A credit split: first what settles an open receivable, the rest to the wallet."""

    to_receivable: Money
    to_wallet: Money
    replayed: bool
    unblocked: bool


@transaction.atomic
def wallet_credit(
    *,
    client_account: ClientAccount,
    amount: Money,
    source: Account,
    id: uuid.UUID,
    reference: str,
    purpose: str = "top_up",
) -> WalletCredit:
    """Credit `amount` from `source` (a provider's clearing account, a bank account …).

    An open receivable (after a chargeback) is settled first; the rest goes to the paid
    balance. When nothing is owed any more, a chargeback block is lifted. Idempotent by
    `id`: a retry returns the first split with `replayed=True`.
    """
    wallet = wallet_for(client_account)
    wallet_check_currency(wallet, amount)
    state = wallet_lock_against_stale_balance(client_account=client_account)
    zero = Money.zero(wallet.currency)
    to_receivable_id, to_wallet_id = leg_id(id, "receivable"), leg_id(id, "wallet")
    booked = transfers_booked(to_receivable_id, to_wallet_id)
    if booked:
        return WalletCredit(
            to_receivable=booked_amount(booked, to_receivable_id, zero),
            to_wallet=booked_amount(booked, to_wallet_id, zero),
            replayed=True,
            unblocked=False,
        )
    owed = ledger_selectors.account_balance(account=wallet.receivable).posted
    to_receivable = min(owed, amount) if owed.minor > 0 else zero
    to_wallet = amount - to_receivable
    specs = []
    if to_receivable:
        specs.append(
            TransferSpec(
                id=to_receivable_id,
                debit_account=source,
                credit_account=wallet.receivable,
                amount=to_receivable,
                purpose="receivable_settled",
                reference=reference,
            )
        )
    if to_wallet:
        specs.append(
            TransferSpec(
                id=to_wallet_id,
                debit_account=source,
                credit_account=wallet.paid,
                amount=to_wallet,
                purpose=purpose,
                reference=reference,
            )
        )
    ledger.transfers_post_linked(transfers=specs, batch_id=id)
    unblocked = False
    if (
        to_receivable == owed
        and state.blocked_at is not None
        and state.blocked_reason == BLOCK_CHARGEBACK
    ):
        state.blocked_at = None
        state.blocked_reason = ""
        state.save(update_fields=["blocked_at", "blocked_reason"])
        unblocked = True
    if to_wallet:
        # The available balance rose: a live consultation may go on (after commit).
        balance_credited_on_commit(client_account_id=client_account.pk)
    if to_receivable:
        # A debt (partly) paid: dunning ticks off instalments, settles its case.
        receivable_settled_on_commit(client_account_id=client_account.pk)
    return WalletCredit(
        to_receivable=to_receivable, to_wallet=to_wallet, replayed=False, unblocked=unblocked
    )


@dataclass(frozen=True, slots=True)
class ChargebackBooking:
    from_wallet: Money
    to_receivable: Money
    replayed: bool


@transaction.atomic
def wallet_chargeback(
    *,
    client_account: ClientAccount,
    amount: Money,
    destination: Account,
    id: uuid.UUID,
    reference: str,
    purpose: str = "chargeback",
    block: bool = True,
) -> ChargebackBooking:
    """Take `amount` back (a chargeback or a return debit) even if the wallet was spent.

    What the paid balance still has (minus running holds) is debited; the rest becomes
    a receivable from the client, so the client's balance goes negative. Bonus and
    partner earnings are untouched. The client is blocked from new consultations and
    top-ups until the receivable is settled (`block=False` for a refund made outside
    our flow, which is no misconduct). Idempotent by `id`.
    """
    wallet = wallet_for(client_account)
    wallet_check_currency(wallet, amount)
    state = wallet_lock_against_stale_balance(client_account=client_account)
    zero = Money.zero(wallet.currency)
    from_wallet_id, receivable_id = leg_id(id, "wallet"), leg_id(id, "receivable")
    booked = transfers_booked(from_wallet_id, receivable_id)
    if booked:
        return ChargebackBooking(
            from_wallet=booked_amount(booked, from_wallet_id, zero),
            to_receivable=booked_amount(booked, receivable_id, zero),
            replayed=True,
        )
    available = ledger_selectors.account_balance(account=wallet.paid).available
    from_wallet = max(zero, min(available, amount))
    to_receivable = amount - from_wallet
    specs = []
    if from_wallet:
        specs.append(
            TransferSpec(
                id=from_wallet_id,
                debit_account=wallet.paid,
                credit_account=destination,
                amount=from_wallet,
                purpose=purpose,
                reference=reference,
            )
        )
    if to_receivable:
        specs.append(
            TransferSpec(
                id=receivable_id,
                debit_account=wallet.receivable,
                credit_account=destination,
                amount=to_receivable,
                purpose=purpose,
                reference=reference,
            )
        )
    ledger.transfers_post_linked(transfers=specs, batch_id=id)
    if block and state.blocked_at is None:
        state.blocked_at = clock.now()
        state.blocked_reason = BLOCK_CHARGEBACK
        state.save(update_fields=["blocked_at", "blocked_reason"])
    return ChargebackBooking(from_wallet=from_wallet, to_receivable=to_receivable, replayed=False)


@transaction.atomic
def wallet_refund_debit(
    *,
    client_account: ClientAccount,
    amount: Money,
    destination: Account,
    id: uuid.UUID,
    reference: str,
) -> ledger.TransferResult:
    """Pay `amount` of the paid balance back out (never bonus). Raises
    `InsufficientBalance` when the paid balance (minus holds) is smaller."""
    wallet = wallet_for(client_account)
    wallet_check_currency(wallet, amount)
    wallet_lock_against_stale_balance(client_account=client_account)
    try:
        return ledger.transfer_post(
            id=leg_id(id, "refund"),
            debit_account=wallet.paid,
            credit_account=destination,
            amount=amount,
            purpose="refund",
            reference=reference,
        )
    except ledger_errors.ExceedsCredits as exc:
        raise errors.InsufficientBalance(amount_minor=amount.minor) from exc


@transaction.atomic
def wallet_write_off(*, client_account: ClientAccount, id: uuid.UUID, reference: str = "") -> Money:
    """Write the client's whole receivable off as the operator's chargeback loss.
    The block stays until staff lift it. Returns the amount written off."""
    wallet = wallet_for(client_account)
    wallet_lock_against_stale_balance(client_account=client_account)
    owed = ledger_selectors.account_balance(account=wallet.receivable).posted
    if owed.minor <= 0:
        return Money.zero(wallet.currency)
    platform = client_account.platform
    ledger.transfer_post(
        id=leg_id(id, "write_off"),
        debit_account=platform_account(platform=platform, purpose=AccountPurpose.CHARGEBACK_LOSS),
        credit_account=wallet.receivable,
        amount=owed,
        purpose="receivable_written_off",
        reference=reference or f"client:{client_account.pk}",
    )
    return owed


@transaction.atomic
def wallet_goodwill_credit(
    *, client_account: ClientAccount, amount: Money, paid: bool, id: uuid.UUID, reference: str
) -> ledger.TransferResult:
    """A goodwill credit from the platform's `promotion_expense`: into the bonus account
    (`paid=False`: spent first, never refunded, like the welcome credit) or into the paid
    balance (`paid=True`: refundable like a top-up; the ledger purpose tells them apart).
    Idempotent by `id`."""
    wallet = wallet_for(client_account)
    wallet_check_currency(wallet, amount)
    wallet_lock_against_stale_balance(client_account=client_account)
    result = ledger.transfer_post(
        id=leg_id(id, "goodwill"),
        debit_account=platform_account(
            platform=client_account.platform, purpose=AccountPurpose.PROMOTION_EXPENSE
        ),
        credit_account=wallet.paid if paid else wallet.bonus,
        amount=amount,
        purpose="goodwill_paid" if paid else "goodwill_bonus",
        reference=reference,
    )
    balance_credited_on_commit(client_account_id=client_account.pk)
    return result
