"""The thin edges: retries inside the engine, Celery tasks, the read-only admin."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.contrib import admin
from django.db import OperationalError, connection
from django.test import RequestFactory

from sprechzeit.core import clock
from sprechzeit.ledger import booking, errors, selectors, services, tasks
from sprechzeit.ledger.admin import AccountAdmin, TransferAdmin
from sprechzeit.ledger.models import Account, AccountPurpose, Transfer
from sprechzeit.ledger.tests.factories import eur, funded_wallet, new_id, system
from sprechzeit.ledger.tests.helpers import assert_ledger_sound

pytestmark = pytest.mark.django_db


# The attempt `book()` retries: one statement on PostgreSQL for a single transfer
# (ledger/single.py), the Python transaction otherwise.
def _attempt() -> str:
    return "_book_one" if connection.vendor == "postgresql" else "_book_once"


class _Sqlstate(Exception):
    def __init__(self, sqlstate: str) -> None:
        super().__init__(sqlstate)
        self.sqlstate = sqlstate


def _failure(sqlstate: str) -> OperationalError:
    error = OperationalError(f"simulated {sqlstate}")
    error.__cause__ = _Sqlstate(sqlstate)
    return error


@pytest.mark.django_db(transaction=True)  # the retry loop runs outside a transaction
@pytest.mark.parametrize("sqlstate", ["40001", "40P01"])
def test_serialization_failures_and_deadlocks_are_retried_inside(
    monkeypatch: pytest.MonkeyPatch, sqlstate: str
) -> None:
    wallet = funded_wallet(100)
    revenue = system(AccountPurpose.PLATFORM_REVENUE)
    real = getattr(booking, _attempt())
    calls = {"n": 0}

    def flaky(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] <= 2:
            raise _failure(sqlstate)
        return real(*args, **kwargs)

    monkeypatch.setattr(booking, _attempt(), flaky)
    result = services.transfer_post(
        id=new_id(), debit_account=wallet, credit_account=revenue, amount=eur(40)
    )
    assert calls["n"] == 3
    assert not result.replayed
    assert selectors.account_balance(account=wallet).posted == eur(60)


@pytest.mark.django_db(transaction=True)
def test_a_failure_that_persists_is_ledger_busy_never_insufficient_funds(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    wallet = funded_wallet(100)
    monkeypatch.setattr("sprechzeit.ledger.booking.time.sleep", lambda seconds: None)

    def always(*args: Any, **kwargs: Any) -> Any:
        raise _failure("40001")

    monkeypatch.setattr(booking, _attempt(), always)
    with pytest.raises(errors.LedgerBusy):
        services.transfer_post(
            id=new_id(),
            debit_account=wallet,
            credit_account=system(AccountPurpose.PLATFORM_REVENUE),
            amount=eur(40),
        )


@pytest.mark.django_db(transaction=True)
def test_other_database_errors_are_not_retried(monkeypatch: pytest.MonkeyPatch) -> None:
    wallet = funded_wallet(100)

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise _failure("42P01")

    monkeypatch.setattr(booking, _attempt(), broken)
    with pytest.raises(OperationalError):
        services.transfer_post(
            id=new_id(),
            debit_account=wallet,
            credit_account=system(AccountPurpose.PLATFORM_REVENUE),
            amount=eur(1),
        )


def test_tasks_expire_holds_and_fold_hot_accounts() -> None:
    wallet = funded_wallet(100)
    start = datetime(2026, 5, 1, tzinfo=UTC)
    with clock.frozen_at(start) as frozen:
        services.hold_create(
            id=new_id(),
            debit_account=wallet,
            credit_account=system(AccountPurpose.CONSULTATION_CLEARING),
            amount=eur(70),
            timeout=timedelta(minutes=2),
        )
        frozen.tick(120)
        assert tasks.holds_expire_due() == 1
        assert tasks.holds_expire_due() == 0
    assert tasks.hot_accounts_fold() >= 1
    assert selectors.account_balance(account=wallet).available == eur(100)
    assert_ledger_sound()


class _Superuser:
    is_active = is_staff = is_superuser = is_authenticated = True

    def has_perm(self, perm: str, obj: object = None) -> bool:
        return True

    def has_module_perms(self, app_label: str) -> bool:
        return True


def test_admin_is_read_only_and_shows_the_trial_balance() -> None:
    funded_wallet(250)
    request = RequestFactory().get("/admin/ledger/account/trial-balance/")
    request.user = _Superuser()  # type: ignore[assignment]
    for model, model_admin in ((Account, AccountAdmin), (Transfer, TransferAdmin)):
        instance = model_admin(model, admin.site)
        assert not instance.has_add_permission(request)
        assert not instance.has_change_permission(request, model.objects.first())
        assert not instance.has_delete_permission(request, model.objects.first())
    response = AccountAdmin(Account, admin.site).trial_balance_view(request)
    response.render()  # type: ignore[attr-defined]
    assert b"Balanced" in response.content
    assert b"250" in response.content
