"""Wallet flows end to end on the ledger: credit, hold, settle, chargeback, limits,
welcome credit. Every scenario ends with `ledger check`."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from sprechzeit.accounts.models import ClientAccount
from sprechzeit.accounts.tests.factories import client_create, partner_with_listing
from sprechzeit.core import clock
from sprechzeit.ledger import selectors as ledger_selectors
from sprechzeit.ledger.models import Account, AccountPurpose
from sprechzeit.ledger.tests.helpers import assert_ledger_sound
from sprechzeit.platforms.tests.factories import platform_create
from sprechzeit.wallets import errors, selectors, services
from sprechzeit.wallets.models import WalletSettings
from sprechzeit.wallets.tests.factories import client_with_wallet, email_verified, eur, fund

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def _clearing(client: ClientAccount) -> Account:
    return services.platform_account(
        platform=client.platform, purpose=AccountPurpose.PROVIDER_CLEARING
    )


def test_credit_shows_in_balance_and_replays_once() -> None:
    client = client_with_wallet()
    credit_id = uuid.uuid4()
    for _ in range(3):
        services.wallet_credit(
            client_account=client,
            amount=eur(2000),
            source=_clearing(client),
            id=credit_id,
            reference="payment:x",
        )
    balance = services.wallet_balance(client_account=client)
    assert balance.paid == eur(2000)
    assert balance.total == eur(2000)
    assert balance.available == eur(2000)
    assert_ledger_sound()


def test_hold_spends_bonus_first_and_settle_splits_the_charge() -> None:
    platform = platform_create()
    WalletSettings.objects.create(
        platform=platform, welcome_credit_minor=500, welcome_credit_on="registration"
    )
    client = client_create(platform=platform)
    services.wallet_open(client_account=client)
    email_verified(client)
    fund(client, 1000)
    partner, _listing = partner_with_listing(platform=platform)
    payable = services.partner_payable_account(partner=partner, currency="EUR")
    hold_id = uuid.uuid4()
    with clock.frozen_at(NOW):
        hold = services.wallet_hold(
            client_account=client,
            amount=eur(800),
            reference="consultation:1",
            expires_at=NOW + timedelta(minutes=5),
            hold_id=hold_id,
        )
        assert (hold.bonus, hold.paid) == (eur(500), eur(300))
        during = services.wallet_balance(client_account=client)
        assert during.pending == eur(800)
        assert during.available == eur(700)
        settlement = services.wallet_settle(
            client_account=client,
            hold_id=hold_id,
            charge=eur(595),
            vat=eur(95),
            partner_share=eur(250),
            partner_account=payable,
            reference="consultation:1",
        )
        again = services.wallet_settle(
            client_account=client,
            hold_id=hold_id,
            charge=eur(595),
            vat=eur(95),
            partner_share=eur(250),
            partner_account=payable,
            reference="consultation:1",
        )
    assert settlement.from_bonus == eur(500)
    assert settlement.from_paid == eur(95)
    assert settlement.platform_revenue == eur(250)
    assert again.replayed
    after = services.wallet_balance(client_account=client)
    assert (after.bonus, after.paid, after.pending) == (eur(0), eur(905), eur(0))
    assert ledger_selectors.account_balance(account=payable).posted == eur(250)
    assert_ledger_sound()


def test_hold_refuses_more_than_available_unless_partial() -> None:
    client = client_with_wallet()
    fund(client, 300)
    with clock.frozen_at(NOW):
        with pytest.raises(errors.InsufficientBalance):
            services.wallet_hold(
                client_account=client,
                amount=eur(500),
                reference="c:2",
                expires_at=NOW + timedelta(minutes=1),
                hold_id=uuid.uuid4(),
            )
        hold_id = uuid.uuid4()
        hold = services.wallet_hold(
            client_account=client,
            amount=eur(500),
            reference="c:2",
            expires_at=NOW + timedelta(minutes=1),
            hold_id=hold_id,
            allow_partial=True,
        )
        assert hold.amount == eur(300)
        assert services.wallet_release(
            client_account=client, hold_id=hold_id, reference="c:2"
        ) == eur(300)
    assert services.wallet_balance(client_account=client).available == eur(300)
    assert_ledger_sound()


def test_chargeback_after_spending_goes_negative_blocks_and_top_up_settles() -> None:
    client = client_with_wallet()
    fund(client, 1000)
    partner, _ = partner_with_listing(platform=client.platform)
    payable = services.partner_payable_account(partner=partner, currency="EUR")
    hold_id = uuid.uuid4()
    with clock.frozen_at(NOW):
        services.wallet_hold(
            client_account=client,
            amount=eur(900),
            reference="c",
            expires_at=NOW + timedelta(minutes=5),
            hold_id=hold_id,
        )
        services.wallet_settle(
            client_account=client,
            hold_id=hold_id,
            charge=eur(900),
            vat=eur(144),
            partner_share=eur(400),
            partner_account=payable,
            reference="c",
        )
    booking = services.wallet_chargeback(
        client_account=client,
        amount=eur(1000),
        destination=_clearing(client),
        id=uuid.uuid4(),
        reference="payment:y",
    )
    assert (booking.from_wallet, booking.to_receivable) == (eur(100), eur(900))
    balance = services.wallet_balance(client_account=client)
    assert balance.total == eur(-900)
    assert balance.negative
    assert ledger_selectors.account_balance(account=payable).posted == eur(400)
    with pytest.raises(errors.WalletBlocked):
        services.wallet_check_spend(client_account=client)
    credit = services.wallet_credit(
        client_account=client,
        amount=eur(1500),
        source=_clearing(client),
        id=uuid.uuid4(),
        reference="bank",
    )
    assert (credit.to_receivable, credit.to_wallet, credit.unblocked) == (eur(900), eur(600), True)
    services.wallet_check_spend(client_account=client)
    assert services.wallet_balance(client_account=client).total == eur(600)
    assert_ledger_sound()


def test_write_off_books_operator_loss() -> None:
    client = client_with_wallet()
    services.wallet_chargeback(
        client_account=client,
        amount=eur(700),
        destination=_clearing(client),
        id=uuid.uuid4(),
        reference="p",
    )
    assert selectors.clients_with_receivable() == [client.pk]
    assert services.wallet_write_off(client_account=client, id=uuid.uuid4()) == eur(700)
    assert selectors.clients_with_receivable() == []
    assert services.wallet_balance(client_account=client).total == eur(0)
    assert_ledger_sound()


def test_deposit_limit_lowering_is_immediate_raising_waits() -> None:
    client = client_with_wallet()
    with clock.frozen_at(NOW) as frozen:
        services.wallet_set_deposit_limit(client_account=client, limit=eur(10000))
        services.wallet_check_deposit(
            client_account=client, amount=eur(6000), deposited_this_month=eur(4000)
        )
        with pytest.raises(errors.DepositLimitExceeded):
            services.wallet_check_deposit(
                client_account=client, amount=eur(6001), deposited_this_month=eur(4000)
            )
        raised = services.wallet_set_deposit_limit(client_account=client, limit=eur(50000))
        assert raised.current == eur(10000)
        assert raised.pending == eur(50000)
        with pytest.raises(errors.DepositLimitExceeded):
            services.wallet_check_deposit(
                client_account=client, amount=eur(20000), deposited_this_month=eur(0)
            )
        frozen.tick(hours=24 * 7 + 1)
        services.wallet_check_deposit(
            client_account=client, amount=eur(20000), deposited_this_month=eur(0)
        )
        lowered = services.wallet_set_deposit_limit(client_account=client, limit=eur(100))
        assert lowered.current == eur(100)
        with pytest.raises(errors.DepositLimitExceeded):
            services.wallet_check_deposit(
                client_account=client, amount=eur(101), deposited_this_month=eur(0)
            )


def test_platform_default_limit_applies_to_new_clients() -> None:
    platform = platform_create()
    WalletSettings.objects.create(platform=platform, default_deposit_limit_minor=5000)
    client = client_with_wallet(platform=platform)
    assert services.wallet_deposit_limit(client_account=client) == eur(5000)


def test_self_exclusion_blocks_deposits_and_holds_and_cannot_be_shortened() -> None:
    client = client_with_wallet()
    fund(client, 1000)
    with clock.frozen_at(NOW) as frozen:
        services.wallet_self_exclude(client_account=client, until=NOW + timedelta(days=30))
        with pytest.raises(errors.SelfExcluded):
            services.wallet_check_deposit(
                client_account=client, amount=eur(100), deposited_this_month=eur(0)
            )
        with pytest.raises(errors.SelfExcluded):
            services.wallet_hold(
                client_account=client,
                amount=eur(100),
                reference="c",
                expires_at=NOW + timedelta(minutes=1),
                hold_id=uuid.uuid4(),
            )
        with pytest.raises(errors.InvalidExclusion):
            services.wallet_self_exclude(client_account=client, until=NOW + timedelta(days=1))
        frozen.tick(hours=24 * 31)
        services.wallet_check_deposit(
            client_account=client, amount=eur(100), deposited_this_month=eur(0)
        )


def test_welcome_credit_once_per_person() -> None:
    platform = platform_create()
    WalletSettings.objects.create(
        platform=platform, welcome_credit_minor=500, welcome_credit_on="first_topup"
    )
    first = client_with_wallet(platform=platform, email="erika.muster+a@gmail.com")
    trigger = WalletSettings.WelcomeOn.FIRST_TOPUP
    assert services.welcome_credit_grant(
        client_account=first, trigger=trigger, fingerprint="card:abc"
    )
    assert (
        services.welcome_credit_grant(client_account=first, trigger=trigger, fingerprint="card:abc")
        is None
    )
    # Same person with an address alias, and another address paying with the same card.
    alias = client_with_wallet(platform=platform, email="erikamuster@googlemail.com")
    assert services.welcome_credit_grant(client_account=alias, trigger=trigger) is None
    other = client_with_wallet(platform=platform, email="someone@example.com")
    assert (
        services.welcome_credit_grant(client_account=other, trigger=trigger, fingerprint="card:abc")
        is None
    )
    fresh = client_with_wallet(platform=platform, email="fresh@example.com")
    assert services.welcome_credit_grant(
        client_account=fresh, trigger=trigger, fingerprint="card:zzz"
    )
    assert services.wallet_balance(client_account=first).bonus == eur(500)
    assert services.wallet_balance(client_account=alias).bonus == eur(0)
    assert_ledger_sound()


def test_refund_debit_takes_only_paid_balance() -> None:
    platform = platform_create()
    WalletSettings.objects.create(
        platform=platform, welcome_credit_minor=500, welcome_credit_on="registration"
    )
    client = client_create(platform=platform)
    services.wallet_open(client_account=client)
    email_verified(client)
    fund(client, 1000)
    with pytest.raises(errors.InsufficientBalance):
        services.wallet_refund_debit(
            client_account=client,
            amount=eur(1200),
            destination=_clearing(client),
            id=uuid.uuid4(),
            reference="r",
        )
    services.wallet_refund_debit(
        client_account=client,
        amount=eur(1000),
        destination=_clearing(client),
        id=uuid.uuid4(),
        reference="r",
    )
    balance = services.wallet_balance(client_account=client)
    assert (balance.paid, balance.bonus) == (eur(0), eur(500))
    assert_ledger_sound()
