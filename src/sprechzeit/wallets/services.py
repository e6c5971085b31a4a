"""Wallet writes. Every balance lives on the ledger; these services only decide which
transfers to book and book them through `ledger.services`.

A client's wallet is three ledger accounts, owned by the client account:

- `client_wallet` (paid balance; debits may not exceed credits),
- `client_bonus` (promotions; spent first, never paid out),
- `client_receivable` (what the client owes after a chargeback took more than the
  paid balance: the wallet "goes negative" here, because the ledger never lets a
  wallet account go below zero).

The balance a client sees is paid + bonus − receivable.

Locks: every write that reads a balance to decide what to book takes the wallet lock
(`_wallet_lock`: the client's `WalletState` row, FOR UPDATE) first, so two writes on one
wallet never decide on the same stale balance. The ledger still checks every limit.

Ids: callers pass one UUID per use case; the legs derive from it (`_leg_id`), so a
retried call books nothing twice and returns the first outcome.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from django.db import IntegrityError, transaction

from sprechzeit.accounts.models import ClientAccount, Partner
from sprechzeit.core import clock
from sprechzeit.core.money import Money
from sprechzeit.ledger import errors as ledger_errors
from sprechzeit.ledger import selectors as ledger_selectors
from sprechzeit.ledger import services as ledger
from sprechzeit.ledger.models import Account, AccountPurpose, TransferKind
from sprechzeit.ledger.services import TransferSpec
from sprechzeit.platforms.models import Platform
from sprechzeit.wallets import errors
from sprechzeit.wallets.models import WalletSettings, WalletState, WelcomeCreditGrant

__all__ = [
    "ChargebackBooking",
    "Wallet",
    "WalletBalance",
    "WalletCredit",
    "WalletHold",
    "WalletSettlement",
    "partner_payable_account",
    "platform_account",
    "wallet_balance",
    "wallet_block",
    "wallet_chargeback",
    "wallet_check_deposit",
    "wallet_check_spend",
    "wallet_credit",
    "wallet_deposit_limit",
    "wallet_for",
    "wallet_hold",
    "wallet_is_trusted",
    "wallet_mark_trusted",
    "wallet_open",
    "wallet_refund_debit",
    "wallet_release",
    "wallet_self_exclude",
    "wallet_set_deposit_limit",
    "wallet_settings",
    "wallet_settle",
    "wallet_unblock",
    "wallet_write_off",
    "welcome_credit_grant",
]

OWNER_CLIENT: Final = "accounts.clientaccount"
OWNER_PLATFORM: Final = "platforms.platform"
OWNER_PARTNER: Final = "accounts.partner"
# Namespace of the ledger ids the wallets derive (legs of one use case).
WALLET_NAMESPACE: Final = uuid.UUID("6d1c2f55-8a0e-4c57-9d4b-2b7e0f3a9c61")
BLOCK_CHARGEBACK: Final = "chargeback"


def _leg_id(base: uuid.UUID, leg: str) -> uuid.UUID:
    return uuid.uuid5(WALLET_NAMESPACE, f"{base}:{leg}")


# --- accounts -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Wallet:
    client_account_id: int
    platform_id: int
    currency: str
    paid: Account
    bonus: Account
    receivable: Account


@dataclass(frozen=True, slots=True)
class WalletBalance:
    """What a client has. `pending` is what running holds reserve (paid + bonus);
    `available` what may still be spent; `total` = paid + bonus − receivable, negative
    after a chargeback took more than was left."""

    paid: Money
    bonus: Money
    pending: Money
    available: Money
    receivable: Money
    total: Money

    @property
    def negative(self) -> bool:
        return self.total.minor < 0


def platform_account(*, platform: Platform, purpose: AccountPurpose) -> Account:
    """A platform's own system account (revenue, VAT, clearing, promotion …)."""
    return ledger.account_get_or_create(
        purpose=purpose,
        currency=platform.currency,
        owner_type=OWNER_PLATFORM,
        owner_id=str(platform.pk),
        name=f"{platform.slug} {purpose}",
    )


def partner_payable_account(*, partner: Partner, currency: str) -> Account:
    """What the operator owes `partner` (one account per partner and currency)."""
    return ledger.account_get_or_create(
        purpose=AccountPurpose.PARTNER_PAYABLE,
        currency=currency,
        owner_type=OWNER_PARTNER,
        owner_id=str(partner.pk),
    )


def _state(client_account: ClientAccount) -> WalletState:
    state, _created = WalletState.objects.get_or_create(
        client_account=client_account,
        defaults={
            "created_at": clock.now(),
            "deposit_limit_minor": wallet_settings(
                platform=client_account.platform
            ).default_deposit_limit_minor,
        },
    )
    return state


def _wallet_lock(client_account: ClientAccount) -> WalletState:
    """Lock this client's wallet (its state row) for the caller's transaction.

    Prevents two writes from splitting a credit or a chargeback on the same stale balance.
    Caller holds a transaction."""
    _state(client_account)
    return WalletState.objects.select_for_update().get(client_account=client_account)


def wallet_settings(*, platform: Platform) -> WalletSettings:
    settings, _created = WalletSettings.objects.get_or_create(platform=platform)
    return settings


def wallet_for(client_account: ClientAccount) -> Wallet:
    """The client's wallet accounts, created on first use (safe under concurrent use)."""
    owner = str(client_account.pk)
    currency = client_account.platform.currency
    _state(client_account)

    def account(purpose: AccountPurpose) -> Account:
        return ledger.account_get_or_create(
            purpose=purpose, currency=currency, owner_type=OWNER_CLIENT, owner_id=owner
        )

    return Wallet(
        client_account_id=int(client_account.pk),
        platform_id=int(client_account.platform_id),
        currency=currency,
        paid=account(AccountPurpose.CLIENT_WALLET),
        bonus=account(AccountPurpose.CLIENT_BONUS),
        receivable=account(AccountPurpose.CLIENT_RECEIVABLE),
    )


def wallet_open(*, client_account: ClientAccount) -> Wallet:
    """Open the wallet of a newly registered client; grants the platform's welcome credit
    when it is given at registration. Call after `client_register`."""
    wallet = wallet_for(client_account)
    welcome_credit_grant(
        client_account=client_account, trigger=WalletSettings.WelcomeOn.REGISTRATION
    )
    return wallet


def wallet_balance(*, client_account: ClientAccount) -> WalletBalance:
    """The client's balance as committed right now (read from the ledger)."""
    wallet = wallet_for(client_account)
    balances = ledger_selectors.accounts_balances(
        accounts=[wallet.paid, wallet.bonus, wallet.receivable]
    )
    paid = balances[int(wallet.paid.pk)]
    bonus = balances[int(wallet.bonus.pk)]
    receivable = balances[int(wallet.receivable.pk)].posted
    held = Money(paid.counters.debits_pending + bonus.counters.debits_pending, wallet.currency)
    return WalletBalance(
        paid=paid.posted,
        bonus=bonus.posted,
        pending=held,
        available=paid.available + bonus.available,
        receivable=receivable,
        total=paid.posted + bonus.posted - receivable,
    )


# --- money in and out -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class WalletCredit:
    """A credit split: first what settles an open receivable, the rest to the wallet."""

    to_receivable: Money
    to_wallet: Money
    replayed: bool
    unblocked: bool


def _booked(*ids: uuid.UUID) -> list[ledger.TransferResult]:
    found = []
    for transfer_id in ids:
        result = ledger_selectors.transfer_get(id=transfer_id)
        if result is not None:
            found.append(result)
    return found


def _amount_of(results: list[ledger.TransferResult], transfer_id: uuid.UUID, zero: Money) -> Money:
    for result in results:
        if result.id == transfer_id:
            return result.amount
    return zero


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
    _check_currency(wallet, amount)
    state = _wallet_lock(client_account)
    zero = Money.zero(wallet.currency)
    to_receivable_id, to_wallet_id = _leg_id(id, "receivable"), _leg_id(id, "wallet")
    booked = _booked(to_receivable_id, to_wallet_id)
    if booked:
        return WalletCredit(
            to_receivable=_amount_of(booked, to_receivable_id, zero),
            to_wallet=_amount_of(booked, to_wallet_id, zero),
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
    _check_currency(wallet, amount)
    state = _wallet_lock(client_account)
    zero = Money.zero(wallet.currency)
    from_wallet_id, receivable_id = _leg_id(id, "wallet"), _leg_id(id, "receivable")
    booked = _booked(from_wallet_id, receivable_id)
    if booked:
        return ChargebackBooking(
            from_wallet=_amount_of(booked, from_wallet_id, zero),
            to_receivable=_amount_of(booked, receivable_id, zero),
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
    _check_currency(wallet, amount)
    _wallet_lock(client_account)
    try:
        return ledger.transfer_post(
            id=_leg_id(id, "refund"),
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
    _wallet_lock(client_account)
    owed = ledger_selectors.account_balance(account=wallet.receivable).posted
    if owed.minor <= 0:
        return Money.zero(wallet.currency)
    platform = client_account.platform
    ledger.transfer_post(
        id=_leg_id(id, "write_off"),
        debit_account=platform_account(platform=platform, purpose=AccountPurpose.CHARGEBACK_LOSS),
        credit_account=wallet.receivable,
        amount=owed,
        purpose="receivable_written_off",
        reference=reference or f"client:{client_account.pk}",
    )
    return owed


def _check_currency(wallet: Wallet, amount: Money) -> None:
    if amount.currency != wallet.currency:
        raise errors.CurrencyNotSupported(currency=amount.currency, expected=wallet.currency)


# --- holds for consultations -------------------------------------------------------------


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
    return _leg_id(hold_id, "hold:bonus"), _leg_id(hold_id, "hold:paid")


def wallet_check_spend(*, client_account: ClientAccount) -> None:
    """Raise when the client may not start anything that spends (blocked, self-excluded)."""
    state = _state(client_account)
    if state.blocked_at is not None:
        raise errors.WalletBlocked(reason=state.blocked_reason)
    if state.excluded_until is not None and state.excluded_until > clock.now():
        raise errors.SelfExcluded(until=state.excluded_until.isoformat())


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
    _check_currency(wallet, amount)
    bonus_id, paid_id = _hold_ids(hold_id)
    zero = Money.zero(wallet.currency)
    booked = _booked(bonus_id, paid_id)
    if booked:
        return WalletHold(
            hold_id=hold_id,
            bonus=_amount_of(booked, bonus_id, zero),
            paid=_amount_of(booked, paid_id, zero),
            expires_at=booked[0].expires_at,
        )
    wallet_check_spend(client_account=client_account)
    _wallet_lock(client_account)
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
        _check_currency(wallet, value)
    zero = Money.zero(wallet.currency)
    revenue = charge - vat - partner_share
    if min(vat.minor, partner_share.minor, revenue.minor, charge.minor) < 0:
        raise errors.InvalidSplit(
            charge_minor=charge.minor, vat_minor=vat.minor, partner_minor=partner_share.minor
        )
    bonus_id, paid_id = _hold_ids(hold_id)
    holds = {result.id: result for result in _booked(bonus_id, paid_id)}
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
    specs: list[TransferSpec] = []
    for pending_id, held, take, leg in (
        (bonus_id, bonus_held, from_bonus, "bonus"),
        (paid_id, paid_held, from_paid, "paid"),
    ):
        if pending_id not in holds:
            continue
        if take:
            specs.append(
                TransferSpec(
                    id=_leg_id(hold_id, f"settle:{leg}"),
                    kind=TransferKind.POST_PENDING,
                    pending_id=pending_id,
                    amount=take,
                    purpose="consultation_charge",
                    reference=reference,
                )
            )
        elif held:
            specs.append(
                TransferSpec(
                    id=_leg_id(hold_id, f"settle:{leg}"),
                    kind=TransferKind.VOID_PENDING,
                    pending_id=pending_id,
                    purpose="consultation_release",
                    reference=reference,
                )
            )
    platform = client_account.platform
    clearing = platform_account(platform=platform, purpose=AccountPurpose.CONSULTATION_CLEARING)
    for leg, account, part in (
        ("vat", platform_account(platform=platform, purpose=AccountPurpose.OUTPUT_VAT), vat),
        ("partner", partner_account, partner_share),
        (
            "revenue",
            platform_account(platform=platform, purpose=AccountPurpose.PLATFORM_REVENUE),
            revenue,
        ),
    ):
        if part:
            specs.append(
                TransferSpec(
                    id=_leg_id(hold_id, f"split:{leg}"),
                    debit_account=clearing,
                    credit_account=account,
                    amount=part,
                    purpose=f"consultation_{leg}",
                    reference=reference,
                )
            )
    result = ledger.transfers_post_linked(transfers=specs, batch_id=_leg_id(hold_id, "settle"))
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
        specs.append(
            TransferSpec(
                id=_leg_id(hold_id, f"settle:{leg}"),
                kind=TransferKind.VOID_PENDING,
                pending_id=pending_id,
                purpose="consultation_release",
                reference=reference,
            )
        )
        released = released + hold.amount
    if not specs:
        raise errors.HoldUnknown(hold_id=str(hold_id))
    try:
        ledger.transfers_post_linked(transfers=specs, batch_id=_leg_id(hold_id, "settle"))
    except ledger_errors.HoldExpired:
        return zero
    return released


# --- blocking, limits, self-exclusion -------------------------------------------------------


@transaction.atomic
def wallet_block(*, client_account: ClientAccount, reason: str) -> WalletState:
    state = _wallet_lock(client_account)
    if state.blocked_at is None:
        state.blocked_at = clock.now()
    state.blocked_reason = reason
    state.save(update_fields=["blocked_at", "blocked_reason"])
    return state


@transaction.atomic
def wallet_unblock(*, client_account: ClientAccount) -> WalletState:
    state = _wallet_lock(client_account)
    state.blocked_at = None
    state.blocked_reason = ""
    state.save(update_fields=["blocked_at", "blocked_reason"])
    return state


@transaction.atomic
def wallet_mark_trusted(*, client_account: ClientAccount) -> None:
    """After a first successful payment: channels for trusted clients open up."""
    _state(client_account)
    WalletState.objects.filter(client_account=client_account, trusted_at__isnull=True).update(
        trusted_at=clock.now()
    )


def wallet_is_trusted(*, client_account: ClientAccount) -> bool:
    return _state(client_account).trusted_at is not None


def wallet_deposit_limit(*, client_account: ClientAccount) -> Money | None:
    """The monthly deposit limit in force now (a raise counts once its cooling-off
    period has passed). None: no limit."""
    state = _state(client_account)
    currency = client_account.platform.currency
    if state.pending_limit_from is not None and state.pending_limit_from <= clock.now():
        WalletState.objects.filter(pk=state.pk, pending_limit_from=state.pending_limit_from).update(
            deposit_limit_minor=state.pending_limit_minor,
            pending_limit_minor=None,
            pending_limit_from=None,
        )
        state.deposit_limit_minor = state.pending_limit_minor
    limit = state.deposit_limit_minor
    return None if limit is None else Money(limit, currency)


@dataclass(frozen=True, slots=True)
class DepositLimit:
    current: Money | None
    pending: Money | None
    pending_from: datetime | None


@transaction.atomic
def wallet_set_deposit_limit(*, client_account: ClientAccount, limit: Money | None) -> DepositLimit:
    """Set the client's monthly deposit limit. Lowering takes effect at once; raising or
    removing waits for the platform's cooling-off period."""
    if limit is not None and limit.minor <= 0:
        raise errors.InvalidDepositLimit(limit_minor=limit.minor)
    current = wallet_deposit_limit(client_account=client_account)
    state = _wallet_lock(client_account)
    lowering = limit is not None and (current is None or limit <= current)
    if lowering:
        assert limit is not None
        state.deposit_limit_minor = limit.minor
        state.pending_limit_minor = None
        state.pending_limit_from = None
    else:
        hours = wallet_settings(platform=client_account.platform).limit_raise_cooling_hours
        state.pending_limit_minor = None if limit is None else limit.minor
        state.pending_limit_from = clock.now() + timedelta(hours=hours)
    state.save(update_fields=["deposit_limit_minor", "pending_limit_minor", "pending_limit_from"])
    currency = client_account.platform.currency
    return DepositLimit(
        current=None
        if state.deposit_limit_minor is None
        else Money(state.deposit_limit_minor, currency),
        pending=None
        if state.pending_limit_minor is None
        else Money(state.pending_limit_minor, currency),
        pending_from=state.pending_limit_from,
    )


@transaction.atomic
def wallet_self_exclude(*, client_account: ClientAccount, until: datetime) -> WalletState:
    """Exclude oneself from top-ups and consultations until `until`; can only be
    extended, never shortened."""
    state = _wallet_lock(client_account)
    if until <= clock.now() or (state.excluded_until is not None and until < state.excluded_until):
        raise errors.InvalidExclusion(until=until.isoformat())
    state.excluded_until = until
    state.save(update_fields=["excluded_until"])
    return state


def wallet_check_deposit(
    *, client_account: ClientAccount, amount: Money, deposited_this_month: Money
) -> None:
    """Raise when the client may not deposit `amount` now: blocked, self-excluded, or
    over the monthly limit counting `deposited_this_month` (the caller's sum of this
    calendar month's started and completed top-ups)."""
    wallet_check_spend(client_account=client_account)
    limit = wallet_deposit_limit(client_account=client_account)
    if limit is not None and deposited_this_month + amount > limit:
        raise errors.DepositLimitExceeded(
            limit_minor=limit.minor,
            remaining_minor=max(0, (limit - deposited_this_month).minor),
        )


# --- welcome credit --------------------------------------------------------------------------


def normalise_email(email: str) -> str:
    """One person, one address: lower case, without "+tag" and, for Gmail, without dots."""
    local, _sep, domain = email.strip().lower().partition("@")
    local = local.split("+", 1)[0]
    if domain in {"gmail.com", "googlemail.com"}:
        local = local.replace(".", "")
        domain = "gmail.com"
    return f"{local}@{domain}"


def welcome_credit_grant(
    *,
    client_account: ClientAccount,
    trigger: WalletSettings.WelcomeOn,
    fingerprint: str = "",
) -> WelcomeCreditGrant | None:
    """Grant the platform's welcome credit as bonus, funded by its promotion account,
    once per person: never twice for the same normalised e-mail or payment fingerprint
    on the platform. Returns None when nothing is due."""
    platform = client_account.platform
    settings = wallet_settings(platform=platform)
    if settings.welcome_credit_minor <= 0 or settings.welcome_credit_on != trigger:
        return None
    email = normalise_email(client_account.user.email)
    taken = WelcomeCreditGrant.objects.filter(platform=platform, email=email)
    if fingerprint:
        taken = taken | WelcomeCreditGrant.objects.filter(
            platform=platform, fingerprint=fingerprint
        )
    if taken.exists() or WelcomeCreditGrant.objects.filter(client_account=client_account).exists():
        return None
    wallet = wallet_for(client_account)
    amount = Money(settings.welcome_credit_minor, platform.currency)
    transfer_id = uuid.uuid5(WALLET_NAMESPACE, f"welcome:{platform.pk}:{email}")
    try:
        with transaction.atomic():
            grant = WelcomeCreditGrant.objects.create(
                platform=platform,
                client_account=client_account,
                email=email,
                fingerprint=fingerprint,
                amount_minor=amount.minor,
                currency=amount.currency,
                transfer_id=transfer_id,
                granted_at=clock.now(),
            )
            ledger.transfer_post(
                id=transfer_id,
                debit_account=platform_account(
                    platform=platform, purpose=AccountPurpose.PROMOTION_EXPENSE
                ),
                credit_account=wallet.bonus,
                amount=amount,
                purpose="welcome_credit",
                reference=f"client:{client_account.pk}",
            )
    except IntegrityError:  # a concurrent grant for the same person won
        return None
    return grant
