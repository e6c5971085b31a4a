"""Booking flows through the real services, with `ledger check` after each scenario."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from sprechzeit.core import clock
from sprechzeit.ledger import errors, selectors, services
from sprechzeit.ledger.booking import TransferSpec, expiry_id
from sprechzeit.ledger.models import AccountDelta, AccountPurpose, Transfer, TransferKind
from sprechzeit.ledger.tests.factories import account, eur, funded_wallet, new_id, system
from sprechzeit.ledger.tests.helpers import assert_ledger_sound, snapshot

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def test_transfer_moves_money_and_counters_follow() -> None:
    wallet = funded_wallet(1000)
    partner = account(AccountPurpose.PARTNER_PAYABLE)
    result = services.transfer_post(
        id=new_id(),
        debit_account=wallet,
        credit_account=partner,
        amount=eur(250),
        purpose="consultation_charge",
        reference="consultation:1",
        metadata={"seconds": 90},
    )
    assert result.amount == eur(250)
    assert not result.replayed
    assert selectors.account_balance(account=wallet).posted == eur(750)
    assert selectors.account_balance(account=partner).posted == eur(250)
    stored = Transfer.objects.get(pk=result.id)
    assert stored.metadata == {"seconds": 90}
    assert selectors.transfers_for_reference(reference="consultation:1")[0].id == result.id
    assert_ledger_sound()


def test_same_id_same_content_returns_the_original_outcome() -> None:
    wallet = funded_wallet(1000)
    revenue = system(AccountPurpose.PLATFORM_REVENUE)
    transfer_id = new_id()
    first = services.transfer_post(
        id=transfer_id, debit_account=wallet, credit_account=revenue, amount=eur(100)
    )
    again = services.transfer_post(
        id=transfer_id, debit_account=wallet, credit_account=revenue, amount=eur(100)
    )
    assert again.replayed
    assert (again.id, again.amount, again.created_at) == (first.id, first.amount, first.created_at)
    assert selectors.account_balance(account=wallet).posted == eur(900)
    with pytest.raises(errors.IdConflict):
        services.transfer_post(
            id=transfer_id, debit_account=wallet, credit_account=revenue, amount=eur(101)
        )
    assert_ledger_sound()


def test_a_failed_id_keeps_failing_even_when_funds_arrive() -> None:
    wallet = funded_wallet(100)
    revenue = system(AccountPurpose.PLATFORM_REVENUE)
    transfer_id = new_id()
    with pytest.raises(errors.ExceedsCredits) as failure:
        services.transfer_post(
            id=transfer_id, debit_account=wallet, credit_account=revenue, amount=eur(150)
        )
    assert failure.value.fields["transfer_id"] == str(transfer_id)
    assert (failure.value.fields["available"], failure.value.fields["amount"]) == (100, 150)
    services.transfer_post(
        id=new_id(),
        debit_account=system(AccountPurpose.PROVIDER_CLEARING),
        credit_account=wallet,
        amount=eur(100),
    )
    with pytest.raises(errors.IdAlreadyFailed) as again:
        services.transfer_post(
            id=transfer_id, debit_account=wallet, credit_account=revenue, amount=eur(150)
        )
    assert again.value.fields["original_code"] == "exceeds_credits"
    assert selectors.account_balance(account=wallet).posted == eur(200)
    assert_ledger_sound()


def test_hold_counts_against_the_wallet_then_posts_part_and_releases_rest() -> None:
    wallet = funded_wallet(1000)
    clearing = system(AccountPurpose.CONSULTATION_CLEARING)
    hold = services.hold_create(
        id=new_id(), debit_account=wallet, credit_account=clearing, amount=eur(800)
    )
    balance = selectors.account_balance(account=wallet)
    assert (balance.posted, balance.available) == (eur(1000), eur(200))
    with pytest.raises(errors.ExceedsCredits):
        services.transfer_post(
            id=new_id(), debit_account=wallet, credit_account=clearing, amount=eur(201)
        )
    posted = services.hold_post(id=new_id(), pending_id=hold.id, amount=eur(300))
    assert posted.amount == eur(300)
    assert posted.pending_id == hold.id
    balance = selectors.account_balance(account=wallet)
    assert (balance.posted, balance.available) == (eur(700), eur(700))
    with pytest.raises(errors.HoldAlreadyPosted):
        services.hold_void(id=new_id(), pending_id=hold.id)
    assert_ledger_sound()


def test_void_releases_everything_and_a_hold_resolves_once() -> None:
    wallet = funded_wallet(500)
    clearing = system(AccountPurpose.CONSULTATION_CLEARING)
    hold = services.hold_create(
        id=new_id(), debit_account=wallet, credit_account=clearing, amount=eur(500)
    )
    void = services.hold_void(id=new_id(), pending_id=hold.id)
    assert void.amount == eur(500)
    assert selectors.account_balance(account=wallet).available == eur(500)
    with pytest.raises(errors.HoldAlreadyVoided):
        services.hold_post(id=new_id(), pending_id=hold.id)
    assert_ledger_sound()


def test_holds_expire_at_their_time_and_not_before() -> None:
    wallet = funded_wallet(500)
    clearing = system(AccountPurpose.CONSULTATION_CLEARING)
    with clock.frozen_at(T0) as frozen:
        hold = services.hold_create(
            id=new_id(),
            debit_account=wallet,
            credit_account=clearing,
            amount=eur(400),
            timeout=timedelta(seconds=60),
        )
        assert hold.expires_at == T0 + timedelta(seconds=60)
        frozen.tick(59)
        assert services.holds_expire_due().expired == ()
        frozen.tick(1)
        with pytest.raises(errors.HoldExpired):
            services.hold_post(id=new_id(), pending_id=hold.id)
        assert selectors.account_balance(account=wallet).available == eur(100)
        assert services.holds_expire_due().expired == (hold.id,)
        assert services.holds_expire_due().expired == ()
        assert Transfer.objects.get(pk=expiry_id(hold.id)).kind == TransferKind.EXPIRE_PENDING
        with pytest.raises(errors.HoldExpired):
            services.hold_void(id=new_id(), pending_id=hold.id)
        assert selectors.account_balance(account=wallet).available == eur(500)
        assert_ledger_sound()


def test_linked_batch_is_all_or_nothing() -> None:
    wallet = funded_wallet(1000)
    partner = account(AccountPurpose.PARTNER_PAYABLE)
    revenue = system(AccountPurpose.PLATFORM_REVENUE)
    vat = system(AccountPurpose.OUTPUT_VAT)
    before = snapshot()
    bad = [
        TransferSpec(id=new_id(), debit_account=wallet, credit_account=partner, amount=eur(600)),
        TransferSpec(id=new_id(), debit_account=wallet, credit_account=revenue, amount=eur(300)),
        TransferSpec(id=new_id(), debit_account=wallet, credit_account=vat, amount=eur(101)),
    ]
    with pytest.raises(errors.ExceedsCredits) as failure:
        services.transfers_post_linked(transfers=bad)
    assert failure.value.fields["index"] == 2
    assert snapshot().transfers == before.transfers
    assert snapshot().counters == before.counters
    good = [
        *bad[:2],
        TransferSpec(id=new_id(), debit_account=wallet, credit_account=vat, amount=eur(100)),
    ]
    batch = services.transfers_post_linked(transfers=good)
    assert len(batch.transfers) == 3
    assert selectors.account_balance(account=wallet).posted == eur(0)
    assert services.transfers_post_linked(transfers=good).replayed
    with pytest.raises(errors.IdAlreadyFailed):  # bad[2]'s id failed and stays failed
        services.transfers_post_linked(transfers=[*good[:2], bad[2]])
    extra = TransferSpec(id=new_id(), debit_account=partner, credit_account=vat, amount=eur(1))
    with pytest.raises(errors.IdConflict):  # a booked batch resubmitted with a new member
        services.transfers_post_linked(transfers=[*good[1:], extra])
    assert_ledger_sound()


def test_batch_can_hold_and_post_within_itself() -> None:
    wallet = funded_wallet(1000)
    clearing = system(AccountPurpose.CONSULTATION_CLEARING)
    partner = account(AccountPurpose.PARTNER_PAYABLE)
    hold_id = new_id()
    batch = services.transfers_post_linked(
        transfers=[
            TransferSpec(
                id=hold_id,
                kind=TransferKind.PENDING,
                debit_account=wallet,
                credit_account=clearing,
                amount=eur(700),
            ),
            TransferSpec(
                id=new_id(), kind=TransferKind.POST_PENDING, pending_id=hold_id, amount=eur(650)
            ),
            TransferSpec(
                id=new_id(), debit_account=clearing, credit_account=partner, amount=eur(650)
            ),
        ]
    )
    assert [t.kind for t in batch.transfers] == ["pending", "post_pending", "single"]
    assert selectors.account_balance(account=wallet).available == eur(350)
    assert selectors.account_balance(account=clearing).posted == eur(0)
    assert_ledger_sound()


def test_hot_accounts_take_deltas_and_fold_without_changing_balances() -> None:
    wallet = funded_wallet(1000)
    revenue = system(AccountPurpose.PLATFORM_REVENUE)
    for _ in range(3):
        services.transfer_post(
            id=new_id(), debit_account=wallet, credit_account=revenue, amount=eur(10)
        )
    revenue.refresh_from_db()
    assert revenue.credits_posted == 0  # not touched under a lock at booking time
    assert AccountDelta.objects.filter(account=revenue).count() == 3
    assert selectors.account_balance(account=revenue).posted == eur(30)
    folded = services.hot_accounts_fold()
    assert folded.deltas >= 3
    revenue.refresh_from_db()
    assert revenue.credits_posted == 30
    assert selectors.account_balance(account=revenue).posted == eur(30)
    assert_ledger_sound()


def test_trial_balance_sums_to_zero() -> None:
    wallet = funded_wallet(1000)
    services.transfer_post(
        id=new_id(),
        debit_account=wallet,
        credit_account=system(AccountPurpose.PLATFORM_REVENUE),
        amount=eur(400),
    )
    trial = selectors.trial_balance(currency="EUR")
    assert trial.balanced
    assert sum(row.net for row in trial.rows) == 0
    by_type = {str(row.type): row.net for row in trial.rows}
    assert by_type["income"] == -400


def test_transfers_refuse_update_and_delete_in_the_database() -> None:
    wallet = funded_wallet(100)
    row = Transfer.objects.get()
    with pytest.raises(DatabaseError), transaction.atomic():
        Transfer.objects.filter(pk=row.pk).update(amount=1)
    with pytest.raises(DatabaseError), transaction.atomic():
        Transfer.objects.filter(pk=row.pk).delete()
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM ledger_transfer")
    assert Transfer.objects.get().amount == 100
    assert selectors.account_balance(account=wallet).posted == eur(100)


def test_check_reports_tampered_counters_and_the_command_exits_1(
    capsys: pytest.CaptureFixture[str],
) -> None:
    wallet = funded_wallet(100)
    call_command("ledger", "check")
    assert "RESULT: OK" in capsys.readouterr().out
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE ledger_account SET credits_posted = credits_posted + 1 WHERE id = %s",
            [wallet.pk],
        )
    with pytest.raises(CommandError) as exit_info:
        call_command("ledger", "check")
    assert exit_info.value.returncode == 1
    out = capsys.readouterr()
    assert "FAIL counters = replay" in out.out
    assert "FAIL debits = credits" in out.out


def test_balance_and_trial_balance_commands(capsys: pytest.CaptureFixture[str]) -> None:
    funded_wallet(1234)
    call_command("ledger", "balance", "--purpose", "client_wallet")
    assert "12.34 EUR" in capsys.readouterr().out
    call_command("ledger", "trial-balance")
    assert "balanced" in capsys.readouterr().out
    call_command("ledger", "expire-holds")
    call_command("ledger", "fold")


def test_called_inside_a_callers_transaction_it_joins_it() -> None:
    wallet = funded_wallet(100)
    revenue = system(AccountPurpose.PLATFORM_REVENUE)
    before = snapshot()

    def use_case() -> None:
        with transaction.atomic():
            services.transfer_post(
                id=new_id(), debit_account=wallet, credit_account=revenue, amount=eur(50)
            )
            raise RuntimeError("the use case failed after booking")

    with pytest.raises(RuntimeError):
        use_case()
    assert snapshot() == before


def test_account_get_or_create_is_one_account_per_purpose_and_owner() -> None:
    first = services.account_get_or_create(
        purpose=AccountPurpose.CLIENT_WALLET, owner_type="accounts.client", owner_id="7"
    )
    again = services.account_get_or_create(
        purpose=AccountPurpose.CLIENT_WALLET, owner_type="accounts.client", owner_id="7"
    )
    assert first.pk == again.pk
    assert first.debits_must_not_exceed_credits
    assert not first.hot
    revenue = system(AccountPurpose.PLATFORM_REVENUE)
    assert revenue.hot
    assert not revenue.debits_must_not_exceed_credits


def test_accounts_get_or_create_creates_the_missing_and_reads_the_rest_in_one_query(
    django_assert_num_queries: Any,
) -> None:
    purposes = (AccountPurpose.CLIENT_WALLET, AccountPurpose.CLIENT_BONUS)
    wallet = services.account_get_or_create(
        purpose=AccountPurpose.CLIENT_WALLET, owner_type="accounts.client", owner_id="8"
    )
    first = services.accounts_get_or_create(
        purposes=purposes, owner_type="accounts.client", owner_id="8"
    )
    assert first[AccountPurpose.CLIENT_WALLET].pk == wallet.pk
    assert first[AccountPurpose.CLIENT_BONUS].purpose == AccountPurpose.CLIENT_BONUS
    with django_assert_num_queries(1):
        again = services.accounts_get_or_create(
            purposes=purposes, owner_type="accounts.client", owner_id="8"
        )
    assert {k: a.pk for k, a in again.items()} == {k: a.pk for k, a in first.items()}
    other = services.accounts_get_or_create(
        purposes=purposes, owner_type="accounts.client", owner_id="9"
    )
    assert other[AccountPurpose.CLIENT_WALLET].pk != wallet.pk


def test_a_large_batch_takes_the_bulk_path_and_counts_once_per_account() -> None:
    wallets = [funded_wallet(10_000) for _ in range(5)]
    revenue = system(AccountPurpose.PLATFORM_REVENUE)
    partner = account(AccountPurpose.PARTNER_PAYABLE)
    specs = [
        TransferSpec(
            id=new_id(),
            debit_account=wallets[n % 5],
            credit_account=revenue if n % 2 else partner,
            amount=eur(3),
            metadata={"n": n},
        )
        for n in range(3000)
    ]
    deltas_before = AccountDelta.objects.count()
    batch = services.transfers_post_linked(transfers=specs)
    assert len(batch.transfers) == 3000
    assert Transfer.objects.filter(batch_id=batch.batch_id).count() == 3000
    assert Transfer.objects.get(pk=specs[7].id).metadata == {"n": 7}
    assert AccountDelta.objects.count() == deltas_before + 1  # one delta for revenue
    assert selectors.account_balance(account=wallets[0]).posted == eur(10_000 - 600 * 3)
    assert selectors.account_balance(account=revenue).posted == eur(1500 * 3)
    assert services.transfers_post_linked(transfers=specs).replayed
    assert_ledger_sound()
