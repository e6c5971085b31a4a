"""Bank transfer: RF references, CAMT.053 (the shared samples and our own) and MT940
imports: match, no match, ambiguous, duplicate import, return debits, bad files."""

from __future__ import annotations

from pathlib import Path

import pytest
from stdnum import iso11649

from sprechzeit.accounts.models import ClientAccount
from sprechzeit.core import clock
from sprechzeit.ledger.tests.helpers import assert_ledger_sound
from sprechzeit.payments import errors
from sprechzeit.payments.models import (
    BankEntry,
    BankEntryStatus,
    Channel,
    Payment,
    PaymentStatus,
    ProviderConfig,
    ProviderKind,
    RefundStatus,
    TransferReference,
)
from sprechzeit.payments.providers.base import PaymentUpdate, UpdateKind
from sprechzeit.payments.services import bank, refunds
from sprechzeit.payments.services.payments import payment_apply
from sprechzeit.payments.services.references import transfer_reference_for
from sprechzeit.payments.tests.factories import client, eur, platform_with_channels, provider_config
from sprechzeit.platforms.models import Platform
from sprechzeit.wallets import services as wallets

pytestmark = pytest.mark.django_db

DATA = Path(__file__).parent / "data"
SAMPLES = Path("/work/shared/compliance-samples")
SYNTHETIC = SAMPLES / "ours/camt/camt053_001_08_de_synthetic.xml"
ISO_SAMPLE = SAMPLES / "examples/camt/business_sample_camt.053.001.04.xml"


def _setup() -> tuple[Platform, ProviderConfig, ClientAccount, ClientAccount]:
    platform = platform_with_channels()
    config = provider_config(platform, ProviderKind.BANK_TRANSFER)
    anna, bernd = client(platform), client(platform)
    TransferReference.objects.create(client_account=anna, reference="RF18539007547034")
    TransferReference.objects.create(client_account=bernd, reference="RF147K4711001")
    return platform, config, anna, bernd


def _credited_sdd(
    config: ProviderConfig, account: ClientAccount, *, e2e: str, minor: int
) -> Payment:
    now = clock.now()
    payment = Payment.objects.create(
        platform=config.platform,
        client_account=account,
        provider_config=config,
        channel=Channel.SEPA_DEBIT,
        amount_minor=minor,
        currency="EUR",
        external_id=e2e,
        created_at=now,
        updated_at=now,
    )
    payment_apply(
        payment_id=payment.pk, update=PaymentUpdate(kind=UpdateKind.SUCCEEDED, amount=eur(minor))
    )
    return payment


def test_reference_is_stable_valid_rf() -> None:
    platform = platform_with_channels()
    account = client(platform)
    reference = transfer_reference_for(client_account=account)
    assert reference.startswith("RF")
    assert transfer_reference_for(client_account=account) == reference
    assert iso11649.is_valid(reference)


def test_own_camt_match_no_match_ambiguous_returns_and_duplicate_import() -> None:
    _platform, config, anna, bernd = _setup()
    returned = _credited_sdd(config, anna, e2e="TOPUP-AM04", minor=4000)
    content = (DATA / "camt053_topups_returns.xml").read_bytes()
    result = bank.statement_import(config=config, file_name="a.xml", content=content)
    assert (result.new, result.credited, result.returned, result.review) == (6, 2, 1, 3)
    # Anna: 40 by SDD, 40 by transfer, 40 returned (AM04). Bernd: 15 (reference in free text).
    assert wallets.wallet_balance(client_account=anna).total == eur(4000)
    assert wallets.wallet_balance(client_account=bernd).total == eur(1500)
    returned.refresh_from_db()
    assert returned.charged_back_minor == 4000
    notes = dict(
        BankEntry.objects.filter(status=BankEntryStatus.REVIEW).values_list("amount_minor", "note")
    )
    assert notes == {
        2000: "several references",
        1000: "no reference of ours",
        2500: "return debit: original payment not found",
    }
    again = bank.statement_import(config=config, file_name="a-again.xml", content=content)
    assert (again.duplicate_file, again.new) == (True, 0)
    # The same entries inside a different file (re-exported): nothing is booked twice.
    reexport = content.replace(b"STMT-20261211-0001", b"STMT-20261211-0002")
    third = bank.statement_import(config=config, file_name="b.xml", content=reexport)
    assert (third.duplicate_file, third.new, third.known) == (False, 0, 6)
    assert wallets.wallet_balance(client_account=anna).total == eur(4000)
    assert_ledger_sound()


def test_review_entry_assigned_by_staff_is_credited_once() -> None:
    _platform, config, anna, _bernd = _setup()
    bank.statement_import(
        config=config, file_name="a.xml", content=(DATA / "camt053_topups_returns.xml").read_bytes()
    )
    entry = BankEntry.objects.get(amount_minor=1000)
    bank.entry_assign(entry=entry, customer_number=anna.customer_number)
    with pytest.raises(errors.PaymentError):
        bank.entry_assign(entry=entry, customer_number=anna.customer_number)
    assert wallets.wallet_balance(client_account=anna).total == eur(5000)
    assert_ledger_sound()


def test_shared_synthetic_sample_md06_return_follows_chargeback_path() -> None:
    _platform, config, anna, _bernd = _setup()
    _credited_sdd(config, anna, e2e="TOPUP42X20261110", minor=5000)
    result = bank.statement_import(
        config=config, file_name="synthetic.xml", content=SYNTHETIC.read_bytes()
    )
    # Entry 1 carries a customer number, not our reference; entry 2 is a collection
    # credit without one; entry 3 (MD06) returns Anna's payment; entry 4 is a payout.
    assert (result.new, result.credited, result.returned, result.review) == (4, 0, 1, 2)
    assert wallets.wallet_balance(client_account=anna).total == eur(0)
    with pytest.raises(Exception, match="gesperrt"):
        wallets.wallet_check_spend(client_account=anna)
    assert BankEntry.objects.get(return_reason="MD06").status == BankEntryStatus.RETURNED
    assert_ledger_sound()


def test_iso_business_sample_in_foreign_currency_goes_to_review() -> None:
    _platform, config, _anna, _bernd = _setup()
    result = bank.statement_import(
        config=config, file_name="iso.xml", content=ISO_SAMPLE.read_bytes()
    )
    assert result.new > 0
    assert result.credited == 0
    assert not Payment.objects.filter(status=PaymentStatus.SUCCEEDED).exists()
    assert_ledger_sound()


def test_mt940_import_matches_by_reference_once() -> None:
    _platform, config, anna, _bernd = _setup()
    content = (DATA / "mt940_topups.sta").read_bytes()
    result = bank.statement_import(config=config, file_name="a.sta", content=content)
    assert (result.new, result.credited) == (2, 1)
    assert bank.statement_import(config=config, file_name="a.sta", content=content).duplicate_file
    assert wallets.wallet_balance(client_account=anna).total == eur(2500)
    assert_ledger_sound()


@pytest.mark.parametrize(
    "content",
    [
        SYNTHETIC.read_bytes()[: len(SYNTHETIC.read_bytes()) * 2 // 3],
        (SAMPLES / "ours/sepa/pain.001.001.09_payout_sepaxml.xml").read_bytes(),
        b"",
        b"hello, world",
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>',
    ],
    ids=["truncated", "not-camt", "empty", "text", "entity"],
)
def test_bad_files_are_refused_and_store_nothing(content: bytes) -> None:
    _platform, config, _anna, _bernd = _setup()
    with pytest.raises(errors.StatementInvalid):
        bank.statement_import(config=config, file_name="bad", content=content)
    assert not BankEntry.objects.exists()


def test_refund_of_a_bank_payment_is_a_transfer_instruction() -> None:
    _platform, config, anna, _bernd = _setup()
    bank.statement_import(
        config=config, file_name="a.sta", content=(DATA / "mt940_topups.sta").read_bytes()
    )
    request = refunds.refund_request_create(client_account=anna)
    made = refunds.refund_request_approve(request=request, staff="staff@example.com")
    assert [(r.amount_minor, r.status) for r in made] == [(2500, RefundStatus.INSTRUCTION)]
    assert wallets.wallet_balance(client_account=anna).total == eur(0)
    assert_ledger_sound()
