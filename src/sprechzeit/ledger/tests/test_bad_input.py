"""Every kind of bad input raises its typed, coded error, and nothing is booked."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from sprechzeit.core import clock
from sprechzeit.core.money import Money
from sprechzeit.ledger import errors, services
from sprechzeit.ledger.booking import TransferSpec
from sprechzeit.ledger.models import Account, AccountPurpose, TransferKind
from sprechzeit.ledger.tests.factories import account, eur, funded_wallet, new_id, system
from sprechzeit.ledger.tests.helpers import assert_ledger_sound, snapshot

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


class World:
    """A wallet with 10.00 €, an open hold of 3.00 € on it (60 s), closed and CHF accounts."""

    def __init__(self) -> None:
        self.wallet = funded_wallet(1000)
        self.partner = account(AccountPurpose.PARTNER_PAYABLE)
        self.revenue = system(AccountPurpose.PLATFORM_REVENUE)
        self.clearing = system(AccountPurpose.CONSULTATION_CLEARING)
        self.chf_wallet = funded_wallet(500, currency="CHF")
        self.closed = account(AccountPurpose.PARTNER_PAYABLE)
        services.account_close(account=self.closed)
        self.hold = services.hold_create(
            id=new_id(),
            debit_account=self.wallet,
            credit_account=self.clearing,
            amount=eur(300),
            timeout=timedelta(seconds=60),
        ).id
        self.posted_hold = self._hold(100)
        services.hold_post(id=new_id(), pending_id=self.posted_hold)
        self.voided_hold = self._hold(100)
        services.hold_void(id=new_id(), pending_id=self.voided_hold)
        self.single = services.transfer_post(
            id=new_id(), debit_account=self.wallet, credit_account=self.partner, amount=eur(1)
        )

    def _hold(self, minor: int) -> uuid.UUID:
        return services.hold_create(
            id=new_id(), debit_account=self.wallet, credit_account=self.clearing, amount=eur(minor)
        ).id

    def pay(self, minor: int, *, to: Account | None = None, **extra: object) -> None:
        services.transfer_post(
            id=new_id(),
            debit_account=self.wallet,
            credit_account=to or self.partner,
            amount=eur(minor),
            **extra,  # type: ignore[arg-type]
        )


def _unknown_account() -> Account:
    return Account(pk=987_654, currency="EUR")


CASES: list[tuple[str, type[errors.LedgerError], Callable[[World], object]]] = [
    ("zero amount", errors.InvalidAmount, lambda w: w.pay(0)),
    ("negative amount", errors.InvalidAmount, lambda w: w.pay(-5)),
    (
        "mixed currencies",
        errors.CurrencyMismatch,
        lambda w: services.transfer_post(
            id=new_id(),
            debit_account=w.chf_wallet,
            credit_account=w.partner,
            amount=Money(1, "CHF"),
        ),
    ),
    (
        "amount in another currency than the accounts",
        errors.CurrencyMismatch,
        lambda w: services.transfer_post(
            id=new_id(), debit_account=w.wallet, credit_account=w.partner, amount=Money(1, "CHF")
        ),
    ),
    (
        "same account on both sides",
        errors.SameAccount,
        lambda w: services.transfer_post(
            id=new_id(), debit_account=w.wallet, credit_account=w.wallet, amount=eur(1)
        ),
    ),
    ("unknown account", errors.AccountNotFound, lambda w: w.pay(1, to=_unknown_account())),
    ("closed account", errors.AccountClosed, lambda w: w.pay(1, to=w.closed)),
    # 1000 funded − 300 held − 100 posted − 1 paid = 599 available.
    ("debit beyond the wallet's limit", errors.ExceedsCredits, lambda w: w.pay(600)),
    (
        "hold beyond the wallet's limit counting holds",
        errors.ExceedsCredits,
        lambda w: services.hold_create(
            id=new_id(), debit_account=w.wallet, credit_account=w.clearing, amount=eur(600)
        ),
    ),
    (
        "posting more than held",
        errors.ExceedsHeldAmount,
        lambda w: services.hold_post(id=new_id(), pending_id=w.hold, amount=eur(301)),
    ),
    (
        "posting an already posted hold",
        errors.HoldAlreadyPosted,
        lambda w: services.hold_post(id=new_id(), pending_id=w.posted_hold),
    ),
    (
        "voiding an already posted hold",
        errors.HoldAlreadyPosted,
        lambda w: services.hold_void(id=new_id(), pending_id=w.posted_hold),
    ),
    (
        "posting a voided hold",
        errors.HoldAlreadyVoided,
        lambda w: services.hold_post(id=new_id(), pending_id=w.voided_hold),
    ),
    (
        "voiding a voided hold",
        errors.HoldAlreadyVoided,
        lambda w: services.hold_void(id=new_id(), pending_id=w.voided_hold),
    ),
    (
        "posting an unknown hold",
        errors.HoldNotFound,
        lambda w: services.hold_post(id=new_id(), pending_id=uuid.uuid4()),
    ),
    (
        "posting something that is not a hold",
        errors.HoldNotFound,
        lambda w: services.hold_post(id=new_id(), pending_id=w.single.id),
    ),
    (
        "posting a hold in another currency",
        errors.CurrencyMismatch,
        lambda w: services.hold_post(id=new_id(), pending_id=w.hold, amount=Money(1, "CHF")),
    ),
    (
        "a reused id with other content",
        errors.IdConflict,
        lambda w: services.transfer_post(
            id=w.single.id, debit_account=w.wallet, credit_account=w.partner, amount=eur(2)
        ),
    ),
    (
        "a post naming other accounts than the hold's",
        errors.HoldMismatch,
        lambda w: services.transfers_post_linked(
            transfers=[
                TransferSpec(
                    id=new_id(),
                    kind=TransferKind.POST_PENDING,
                    pending_id=w.hold,
                    debit_account=w.wallet,
                    credit_account=w.partner,
                )
            ]
        ),
    ),
    (
        "a duplicate id inside a batch",
        errors.DuplicateIdInBatch,
        lambda w: services.transfers_post_linked(
            transfers=[
                TransferSpec(
                    id=w.single.id, debit_account=w.wallet, credit_account=w.partner, amount=eur(1)
                ),
                TransferSpec(
                    id=w.single.id, debit_account=w.wallet, credit_account=w.partner, amount=eur(1)
                ),
            ]
        ),
    ),
    (
        "a linked batch whose last member fails",
        errors.ExceedsCredits,
        lambda w: services.transfers_post_linked(
            transfers=[
                TransferSpec(
                    id=new_id(), debit_account=w.wallet, credit_account=w.partner, amount=eur(500)
                ),
                TransferSpec(
                    id=new_id(), debit_account=w.wallet, credit_account=w.revenue, amount=eur(100)
                ),
            ]
        ),
    ),
    (
        "metadata that is not JSON",
        errors.InvalidTransfer,
        lambda w: w.pay(1, metadata={"when": object()}),
    ),
    (
        "a non-positive hold timeout",
        errors.InvalidTransfer,
        lambda w: services.hold_create(
            id=new_id(),
            debit_account=w.wallet,
            credit_account=w.clearing,
            amount=eur(1),
            timeout=timedelta(0),
        ),
    ),
    (
        "an empty batch",
        errors.InvalidTransfer,
        lambda w: services.transfers_post_linked(transfers=[]),
    ),
]


@pytest.mark.parametrize(("label", "error", "action"), CASES, ids=[case[0] for case in CASES])
def test_bad_input_raises_its_code_and_books_nothing(
    label: str, error: type[errors.LedgerError], action: Callable[[World], object]
) -> None:
    with clock.frozen_at(T0):
        world = World()
        before = snapshot()
        with pytest.raises(error) as raised:
            action(world)
        assert raised.value.code == error.code
        assert raised.value.as_dict()["code"] == error.code
        assert snapshot() == before, label
        assert_ledger_sound()


@pytest.mark.parametrize("verb", ["post", "void"])
def test_an_expired_hold_can_be_neither_posted_nor_voided(verb: str) -> None:
    with clock.frozen_at(T0) as frozen:
        world = World()
        frozen.tick(60)
        before = snapshot()
        resolve = services.hold_post if verb == "post" else services.hold_void
        with pytest.raises(errors.HoldExpired):
            resolve(id=new_id(), pending_id=world.hold)
        assert snapshot() == before
        services.holds_expire_due()
        with pytest.raises(errors.HoldExpired):
            services.hold_post(id=new_id(), pending_id=world.hold)
        assert_ledger_sound()


def test_error_codes_are_unique() -> None:
    codes = [
        cls.code
        for cls in vars(errors).values()
        if isinstance(cls, type) and issubclass(cls, errors.LedgerError)
    ]
    assert len(codes) == len(set(codes))
