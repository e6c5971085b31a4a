"""Holds for consultations: reserve bonus first, settle with the VAT / partner /
revenue split, release."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction

from sprechzeit.accounts.models import ClientAccount
from sprechzeit.core import clock
from sprechzeit.core.money import Money
from sprechzeit.ledger import errors as ledger_errors
from sprechzeit.ledger import selectors as ledger_selectors
from sprechzeit.ledger import services as ledger
from sprechzeit.ledger.models import Account, AccountPurpose, TransferKind
from sprechzeit.ledger.services import TransferSpec
from sprechzeit.wallets import errors
from sprechzeit.wallets.locks import wallet_lock_against_stale_balance
from sprechzeit.wallets.services.accounts import (
    booked_amount,
    leg_id,
    platform_account,
    transfers_booked,
    wallet_check_currency,
    wallet_check_spend,
    wallet_for,
)


@dataclass(frozen=True, slots=True)
class WalletHold:
    """A reservation on a wallet, split bonus first. `hold_id` is the caller's id; the
    ledger holds are derived from it."""

    hold_id: uuid.UUID
    bonus: Money
    paid: Money
    expires_at: datetime | None

    @property
    def amount(self) -> Money:
        return self.bonus + self.paid


def _hold_ids(hold_id: uuid.UUID) -> tuple[uuid.UUID, uuid.UUID]:
    return leg_id(hold_id, "hold:bonus"), leg_id(hold_id, "hold:paid")


@transaction.atomic
def wallet_hold(
    *,
    client_account: ClientAccount,
    amount: Money,
    reference: str,
    expires_at: datetime,
    hold_id: uuid.UUID,
    allow_partial: bool = False,
) -> WalletHold:
    """Reserve `amount` for a consultation, bonus first, until `expires_at`.

    With `allow_partial`, reserves what is available up to `amount` (the last chunk
    before the cut-off); otherwise raises `InsufficientBalance`. Raises `WalletBlocked`
    or `SelfExcluded` for a client who may not spend. Idempotent by `hold_id`.
    """
    wallet = wallet_for(client_account)
    wallet_check_currency(wallet, amount)
    bonus_id, paid_id = _hold_ids(hold_id)
    zero = Money.zero(wallet.currency)
    booked = transfers_booked(bonus_id, paid_id)
    if booked:
        return WalletHold(
            hold_id=hold_id,
            bonus=booked_amount(booked, bonus_id, zero),
            paid=booked_amount(booked, paid_id, zero),
            expires_at=booked[0].expires_at,
        )
    wallet_check_spend(client_account=client_account)
    wallet_lock_against_stale_balance(client_account=client_account)
    balances = ledger_selectors.accounts_balances(accounts=[wallet.paid, wallet.bonus])
    bonus_available = max(zero, balances[int(wallet.bonus.pk)].available)
    paid_available = max(zero, balances[int(wallet.paid.pk)].available)
    from_bonus = min(bonus_available, amount)
    from_paid = amount - from_bonus
    if from_paid > paid_available:
        if not allow_partial:
            raise errors.InsufficientBalance(
                amount_minor=amount.minor, available_minor=(bonus_available + paid_available).minor
            )
        from_paid = paid_available
    if not from_bonus and not from_paid:
        raise errors.InsufficientBalance(amount_minor=amount.minor, available_minor=0)
    timeout = expires_at - clock.now()
    if timeout <= timedelta(0):
        raise errors.WalletError("The hold's expiry lies in the past.", expires_at=str(expires_at))
    clearing = platform_account(
        platform=client_account.platform, purpose=AccountPurpose.CONSULTATION_CLEARING
    )
    specs = [
        TransferSpec(
            id=leg_id,
            kind=TransferKind.PENDING,
            debit_account=account,
            credit_account=clearing,
            amount=part,
            timeout=timeout,
            purpose="consultation_hold",
            reference=reference,
        )
        for leg_id, account, part in (
            (bonus_id, wallet.bonus, from_bonus),
            (paid_id, wallet.paid, from_paid),
        )
        if part
    ]
    try:
        results = ledger.transfers_post_linked(transfers=specs, batch_id=hold_id)
    except ledger_errors.ExceedsCredits as exc:
        raise errors.InsufficientBalance(amount_minor=amount.minor) from exc
    return WalletHold(
        hold_id=hold_id,
        bonus=from_bonus,
        paid=from_paid,
        expires_at=results.transfers[0].expires_at,
    )


def wallet_hold_parts(*, hold_id: uuid.UUID) -> WalletHold:
    """How a booked hold divides into bonus and paid money (what `wallet_settle` spends
    bonus first from). Raises `HoldUnknown` for a hold that was never booked."""
    bonus_id, paid_id = _hold_ids(hold_id)
    booked = transfers_booked(bonus_id, paid_id)
    if not booked:
        raise errors.HoldUnknown(hold_id=str(hold_id))
    zero = Money.zero(booked[0].amount.currency)
    return WalletHold(
        hold_id=hold_id,
        bonus=booked_amount(booked, bonus_id, zero),
        paid=booked_amount(booked, paid_id, zero),
        expires_at=booked[0].expires_at,
    )


@dataclass(frozen=True, slots=True)
class WalletSettlement:
    hold_id: uuid.UUID
    charged: Money
    from_bonus: Money
    from_paid: Money
    output_vat: Money
    partner_share: Money
    platform_revenue: Money
    released: Money
    replayed: bool


def wallet_settle(
    *,
    client_account: ClientAccount,
    hold_id: uuid.UUID,
    charge: Money,
    vat: Money,
    partner_share: Money,
    partner_account: Account,
    reference: str,
) -> WalletSettlement:
    """Charge `charge` (≤ the held amount) from a hold and release the rest, in one
    linked batch: bonus is spent first, then paid balance; the charge is split into
    output VAT, the partner's payable (`partner_share`) and platform revenue (the rest).

    A charge of zero voids the hold. Idempotent by `hold_id` (one settlement per hold).
    Raises `ChargeExceedsHold`, `InvalidSplit`, `HoldUnknown`; the ledger's hold errors
    (`HoldExpired`, `HoldAlreadyVoided` …) pass through.
    """
    wallet = wallet_for(client_account)
    for value in (charge, vat, partner_share):
        wallet_check_currency(wallet, value)
    zero = Money.zero(wallet.currency)
    revenue = charge - vat - partner_share
    if min(vat.minor, partner_share.minor, revenue.minor, charge.minor) < 0:
        raise errors.InvalidSplit(
            charge_minor=charge.minor, vat_minor=vat.minor, partner_minor=partner_share.minor
        )
    bonus_id, paid_id = _hold_ids(hold_id)
    holds = {result.id: result for result in transfers_booked(bonus_id, paid_id)}
    if not holds:
        raise errors.HoldUnknown(hold_id=str(hold_id))
    bonus_held = holds[bonus_id].amount if bonus_id in holds else zero
    paid_held = holds[paid_id].amount if paid_id in holds else zero
    if charge > bonus_held + paid_held:
        raise errors.ChargeExceedsHold(
            charge_minor=charge.minor, held_minor=(bonus_held + paid_held).minor
        )
    from_bonus = min(charge, bonus_held)
    from_paid = charge - from_bonus
    specs = [
        _hold_resolution(hold_id, pending_id, leg, take=take, reference=reference)
        for pending_id, held, take, leg in (
            (bonus_id, bonus_held, from_bonus, "bonus"),
            (paid_id, paid_held, from_paid, "paid"),
        )
        if pending_id in holds and (take or held)
    ]
    specs.extend(
        _charge_split(
            client_account,
            hold_id,
            parts=(vat, partner_share, revenue),
            partner_account=partner_account,
            reference=reference,
        )
    )
    result = ledger.transfers_post_linked(transfers=specs, batch_id=leg_id(hold_id, "settle"))
    return WalletSettlement(
        hold_id=hold_id,
        charged=charge,
        from_bonus=from_bonus,
        from_paid=from_paid,
        output_vat=vat,
        partner_share=partner_share,
        platform_revenue=revenue,
        released=bonus_held + paid_held - charge,
        replayed=result.replayed,
    )


def _hold_resolution(
    hold_id: uuid.UUID, pending_id: uuid.UUID, leg: str, *, take: Money | None, reference: str
) -> TransferSpec:
    """Post `take` from one leg's hold (the rest is released), or void it without
    `take`."""
    if take:
        return TransferSpec(
            id=leg_id(hold_id, f"settle:{leg}"),
            kind=TransferKind.POST_PENDING,
            pending_id=pending_id,
            amount=take,
            purpose="consultation_charge",
            reference=reference,
        )
    return TransferSpec(
        id=leg_id(hold_id, f"settle:{leg}"),
        kind=TransferKind.VOID_PENDING,
        pending_id=pending_id,
        purpose="consultation_release",
        reference=reference,
    )


def _charge_split(
    client_account: ClientAccount,
    hold_id: uuid.UUID,
    *,
    parts: tuple[Money, Money, Money],
    partner_account: Account,
    reference: str,
) -> list[TransferSpec]:
    """Consultation clearing → output VAT, the partner's payable, platform revenue
    (`parts` in that order; a zero part books nothing)."""
    vat, partner_share, revenue = parts
    platform = client_account.platform
    clearing = platform_account(platform=platform, purpose=AccountPurpose.CONSULTATION_CLEARING)
    return [
        TransferSpec(
            id=leg_id(hold_id, f"split:{leg}"),
            debit_account=clearing,
            credit_account=account,
            amount=part,
            purpose=f"consultation_{leg}",
            reference=reference,
        )
        for leg, account, part in (
            ("vat", platform_account(platform=platform, purpose=AccountPurpose.OUTPUT_VAT), vat),
            ("partner", partner_account, partner_share),
            (
                "revenue",
                platform_account(platform=platform, purpose=AccountPurpose.PLATFORM_REVENUE),
                revenue,
            ),
        )
        if part
    ]


def wallet_release(*, client_account: ClientAccount, hold_id: uuid.UUID, reference: str) -> Money:
    """Void a hold whole (a consultation that never started). Idempotent by `hold_id`;
    a hold that already expired releases nothing more. Returns the amount released."""
    wallet = wallet_for(client_account)
    zero = Money.zero(wallet.currency)
    bonus_id, paid_id = _hold_ids(hold_id)
    specs = []
    released = zero
    for pending_id, leg in ((bonus_id, "bonus"), (paid_id, "paid")):
        hold = ledger_selectors.transfer_get(id=pending_id)
        if hold is None:
            continue
        specs.append(_hold_resolution(hold_id, pending_id, leg, take=None, reference=reference))
        released = released + hold.amount
    if not specs:
        raise errors.HoldUnknown(hold_id=str(hold_id))
    try:
        ledger.transfers_post_linked(transfers=specs, batch_id=leg_id(hold_id, "settle"))
    except ledger_errors.HoldExpired:
        return zero
    return released


# --- blocking, limits, self-exclusion -------------------------------------------------------
