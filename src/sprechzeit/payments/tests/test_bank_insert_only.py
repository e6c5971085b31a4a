"""GoBD: imported bank statements and entries are insert-only (payments 0006). UPDATE
and DELETE go past the ORM here (raw SQL), so only the triggers stand in the way; what
we decide about an entry (status, note, the client and payment it was booked to) still
moves (`ledger check` naming a missing trigger: payouts' test_insert_only). SQLite and
PostgreSQL."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from sprechzeit.ledger.tests.helpers import assert_ledger_sound
from sprechzeit.payments.models import (
    BankEntry,
    BankEntryStatus,
    BankStatement,
    ProviderKind,
    TransferReference,
)
from sprechzeit.payments.services import bank
from sprechzeit.payments.tests.factories import client, eur, platform_with_channels, provider_config
from sprechzeit.payments.tests.test_bank import DATA
from sprechzeit.wallets import services as wallets

pytestmark = pytest.mark.django_db


def _sql(sql: str, params: list[int | str]) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


def refused(sql: str, params: list[int | str]) -> None:
    with pytest.raises(DatabaseError):
        _sql(sql, params)


def test_what_the_bank_said_never_changes_what_we_decided_moves() -> None:
    platform = platform_with_channels()
    config = provider_config(platform, ProviderKind.BANK_TRANSFER)
    anna = client(platform)
    TransferReference.objects.create(client_account=anna, reference="RF18539007547034")
    bank.statement_import(
        config=config, file_name="a.xml", content=(DATA / "camt053_topups_returns.xml").read_bytes()
    )
    statement = BankStatement.objects.get()
    entry = BankEntry.objects.get(amount_minor=1000)  # waits for review
    assert entry.status == BankEntryStatus.REVIEW
    refused("UPDATE payments_bankstatement SET file_name = 'x.xml' WHERE id = %s", [statement.pk])
    refused("DELETE FROM payments_bankstatement WHERE id = %s", [statement.pk])
    for sql, value in (
        ("UPDATE payments_bankentry SET amount_minor = %s WHERE id = %s", 1),
        ("UPDATE payments_bankentry SET remittance = %s WHERE id = %s", "changed"),
        ("UPDATE payments_bankentry SET counterparty_iban = %s WHERE id = %s", "DE0212030000"),
        ("UPDATE payments_bankentry SET entry_key = %s WHERE id = %s", "other"),
    ):
        refused(sql, [value, entry.pk])
    refused("DELETE FROM payments_bankentry WHERE id = %s", [entry.pk])
    before = wallets.wallet_balance(client_account=anna).total
    # Staff assign the waiting entry: status, client and payment move (the service path).
    bank.entry_assign(entry=entry, customer_number=anna.customer_number)
    entry.refresh_from_db()
    assert (entry.status, entry.client_account_id) == (BankEntryStatus.CREDITED, anna.pk)
    assert entry.amount_minor == 1000
    _sql("UPDATE payments_bankentry SET note = %s WHERE id = %s", ["checked", entry.pk])
    assert wallets.wallet_balance(client_account=anna).total == before + eur(1000)
    assert_ledger_sound()
