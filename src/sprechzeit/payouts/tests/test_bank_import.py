"""The one bank statement import: one file, every entry routed once — top-ups and
returned debits to payments, payout confirmations and returns to payouts, the rest to
the review queue — and nothing booked twice, whichever upload came first."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from sprechzeit.accounts.models import ClientAccount, User
from sprechzeit.accounts.tests.factories import client_create, login_verified
from sprechzeit.core import clock
from sprechzeit.core.money import Money
from sprechzeit.ledger.selectors import account_balance
from sprechzeit.ledger.tests.helpers import assert_ledger_sound
from sprechzeit.payments import errors as payment_errors
from sprechzeit.payments.models import (
    BankEntry,
    BankEntryStatus,
    BankStatement,
    ProviderConfig,
    ProviderKind,
    TransferReference,
)
from sprechzeit.payments.services import bank as payments_bank
from sprechzeit.payouts import errors, lines, services
from sprechzeit.payouts.bank import bank_statement_import
from sprechzeit.payouts.models import BankLine, Payout
from sprechzeit.payouts.tests.factories import (
    Line,
    Scene,
    at,
    busy_scene,
    camt,
    close_month,
    paying_platform,
    settled,
    tax_profile,
)
from sprechzeit.platforms.models import Platform
from sprechzeit.statements.models import Statement
from sprechzeit.statements.vat import VatStatus
from sprechzeit.wallets import services as wallets

pytestmark = pytest.mark.django_db
IBAN = "DE89370400440532013000"  # the paying entity's account (factories.paying_platform)
ANNA_RF = "RF18539007547034"


def payable(partner: object) -> int:
    account = wallets.partner_payable_account(partner=partner, currency="EUR")  # type: ignore[arg-type]
    return account_balance(account=account).posted.minor


def world() -> tuple[Platform, ProviderConfig, ClientAccount, Scene, Scene, Statement, Statement]:
    """A platform whose entity pays two partners for October and takes top-ups by
    transfer on the same account."""
    platform = paying_platform()
    config = ProviderConfig.objects.create(
        platform=platform, kind=ProviderKind.BANK_TRANSFER, name="Konto"
    )
    anna = client_create(platform=platform)
    TransferReference.objects.create(client_account=anna, reference=ANNA_RF)
    paid, bounced = busy_scene(platform=platform), busy_scene(platform=platform)
    for s in (paid, bounced):
        tax_profile(s.partner, VatStatus.REGULAR)
        settled(s, seconds=3600, when=at(2026, 10, 10))
    close_month()
    with clock.frozen_at(at(2026, 11, 3)):
        services.payout_run_create(legal_entity=platform.legal_entity)
    return (
        platform,
        config,
        anna,
        paid,
        bounced,
        Statement.objects.get(partner=paid.partner),
        Statement.objects.get(partner=bounced.partner),
    )


def statement_file(paid: Statement, bounced: Statement, statement_id: str = "STMT-1") -> bytes:
    return camt(
        [
            Line("", 5000, credit=True, reference=ANNA_RF),  # Anna's top-up
            Line(str(paid.number), paid.gross_minor),  # payout executed
            Line(str(bounced.number), bounced.gross_minor, credit=True, reason="AC04"),  # back
            Line("", 120000),  # the office rent: nobody's
            Line("", 777, credit=True),  # a credit without our reference: nobody's
        ],
        statement_id=statement_id,
    )


def test_one_file_routes_every_entry_once() -> None:
    _platform, config, anna, paid, bounced, paid_note, bounced_note = world()
    content = statement_file(paid_note, bounced_note)
    result = bank_statement_import(content=content, file_name="auszug.xml")  # by the IBAN
    assert (result.new, result.known, result.duplicate_file) == (5, 0, False)
    assert (result.topups_credited, result.topups_returned, result.review) == (1, 0, 2)
    assert result.payouts_confirmed == [paid_note.number]
    assert result.payouts_returned == [bounced_note.number]
    statuses = dict(BankEntry.objects.values_list("amount_minor", "status"))
    assert statuses == {
        5000: BankEntryStatus.CREDITED,
        paid_note.gross_minor: BankEntryStatus.PAYOUT,
        bounced_note.gross_minor: BankEntryStatus.PAYOUT,
        120000: BankEntryStatus.REVIEW,
        777: BankEntryStatus.REVIEW,
    }
    assert BankEntry.objects.get(amount_minor=120000).note == "outgoing: matches no payout"
    assert wallets.wallet_balance(client_account=anna).total == Money(5000)
    assert dict(Payout.objects.values_list("end_to_end_id", "status")) == {
        paid_note.number: Payout.Status.CONFIRMED,
        bounced_note.number: Payout.Status.RETURNED,
    }
    assert payable(paid.partner) == 0
    assert payable(bounced.partner) == bounced_note.gross_minor
    assert BankLine.objects.count() == 2  # payouts' own record: its two lines, no review

    # the same file again, and the same entries in a re-exported file: nothing moves
    again = bank_statement_import(content=content, file_name="auszug.xml", config=config)
    assert (again.duplicate_file, again.new, again.known) == (True, 0, 5)
    reexport = bank_statement_import(
        content=content.replace(b"<Id>STMT-1</Id>", b"<Id>STMT-1b</Id>"), file_name="b.xml"
    )
    assert (reexport.duplicate_file, reexport.new, reexport.known) == (False, 0, 5)
    for repeat in (again, reexport):
        assert (repeat.topups_credited, repeat.review) == (0, 0)
        assert (repeat.payouts_confirmed, repeat.payouts_returned) == ([], [])
    assert BankEntry.objects.count() == 5
    assert BankEntry.objects.filter(status=BankEntryStatus.REVIEW).count() == 2
    assert BankLine.objects.count() == 2
    assert wallets.wallet_balance(client_account=anna).total == Money(5000)
    assert payable(bounced.partner) == bounced_note.gross_minor
    assert_ledger_sound()


def test_an_earlier_payments_only_upload_leaves_the_payouts_to_the_one_import() -> None:
    _platform, config, anna, paid, _bounced, paid_note, bounced_note = world()
    content = statement_file(paid_note, bounced_note)
    old = payments_bank.statement_import(config=config, file_name="a.xml", content=content)
    # payments alone: the top-up is booked, the payout debit ignored, the return in review
    assert (old.credited, old.review) == (1, 2)
    assert Payout.objects.filter(status=Payout.Status.IN_TRANSIT).count() == 2
    result = bank_statement_import(content=content, file_name="a.xml", config=config)
    assert (result.duplicate_file, result.new, result.known) == (True, 0, 5)
    assert result.payouts_confirmed == [paid_note.number]
    assert result.payouts_returned == [bounced_note.number]
    assert (result.topups_credited, result.review) == (0, 1)  # the rent, set aside before
    assert wallets.wallet_balance(client_account=anna).total == Money(5000)  # once
    assert payable(paid.partner) == 0
    # the two entries nobody knows stay in review, once
    assert BankEntry.objects.filter(status=BankEntryStatus.REVIEW).count() == 2
    assert_ledger_sound()


def test_an_earlier_payouts_only_import_is_not_booked_again() -> None:
    _platform, config, anna, paid, bounced, paid_note, bounced_note = world()
    content = statement_file(paid_note, bounced_note)
    old = lines.payouts_import_camt(xml=content)
    assert (old.confirmed, old.returned) == ([paid_note.number], [bounced_note.number])
    result = bank_statement_import(content=content, file_name="a.xml", config=config)
    assert (result.new, result.topups_credited, result.review) == (5, 1, 2)
    assert (result.payouts_confirmed, result.payouts_returned) == ([], [])
    payout_entries = BankEntry.objects.filter(status=BankEntryStatus.PAYOUT)
    assert sorted(entry.note for entry in payout_entries) == sorted(
        f"Auszahlung {note.number}: bereits verbucht" for note in (paid_note, bounced_note)
    )
    assert payable(paid.partner) == 0
    assert payable(bounced.partner) == bounced_note.gross_minor
    assert wallets.wallet_balance(client_account=anna).total == Money(5000)
    assert_ledger_sound()


def test_a_payout_line_with_the_wrong_amount_goes_to_review() -> None:
    _platform, config, _anna, _paid, _bounced, paid_note, _bounced_note = world()
    content = camt([Line(str(paid_note.number), paid_note.gross_minor + 1)])
    result = bank_statement_import(content=content, file_name="x.xml", config=config)
    assert (result.payouts_confirmed, result.review) == ([], 1)
    entry = BankEntry.objects.get()
    assert (entry.status, entry.end_to_end_id) == (BankEntryStatus.REVIEW, paid_note.number)
    assert Payout.objects.filter(status=Payout.Status.IN_TRANSIT).count() == 2
    assert_ledger_sound()


def test_bad_files_and_wrong_accounts_store_nothing() -> None:
    _platform, config, _anna, _paid, _bounced, paid_note, _b = world()
    for garbage in (b"", b"<not xml", b"hello", b"<Document xmlns='urn:x'/>"):
        with pytest.raises(payment_errors.StatementInvalid):
            bank_statement_import(content=garbage, file_name="x", config=config)
    other = camt(
        [Line(str(paid_note.number), paid_note.gross_minor)], iban="DE02120300000000202051"
    )
    with pytest.raises(errors.BankAccountMismatch) as mismatch:
        bank_statement_import(content=other, file_name="x.xml", config=config)
    assert "DE02120300000000202051" in str(mismatch.value.message)
    with pytest.raises(errors.BankAccountUnknown):
        bank_statement_import(content=other, file_name="x.xml")
    # a second bank-transfer configuration on the same account: the file cannot choose
    ProviderConfig.objects.create(
        platform=config.platform, kind=ProviderKind.BANK_TRANSFER, name="Zweitkonto"
    )
    ours = camt([Line(str(paid_note.number), paid_note.gross_minor)])
    with pytest.raises(errors.BankAccountUnknown) as ambiguous:
        bank_statement_import(content=ours, file_name="x.xml")
    assert "2" in str(ambiguous.value.message)
    assert not BankStatement.objects.exists()
    assert not BankEntry.objects.exists()
    assert Payout.objects.filter(status=Payout.Status.IN_TRANSIT).count() == 2


def test_command_and_staff_upload(tmp_path: Path) -> None:
    _platform, config, anna, _paid, _bounced, paid_note, bounced_note = world()
    path = tmp_path / "auszug.xml"
    path.write_bytes(statement_file(paid_note, bounced_note))
    out = io.StringIO()
    call_command("bank", "import", str(path), stdout=out)
    assert (
        "auszug.xml: 5 new, 0 already known; top-ups credited 1, returned 0;"
        " payouts confirmed 1, returned 1; review 2"
    ) in out.getvalue()
    out = io.StringIO()
    call_command("bank", "import", str(path), "--config", str(config.pk), stdout=out)
    assert "0 new, 5 already known (file imported before)" in out.getvalue()
    with pytest.raises(CommandError, match="no such file"):
        call_command("bank", "import", str(tmp_path / "missing.xml"))
    bad = tmp_path / "bad.xml"
    bad.write_bytes(b"<oops")
    with pytest.raises(CommandError, match="statement_invalid"):
        call_command("bank", "import", str(bad))
    # staff upload the next day's statement on the one upload page (the old address)
    staff = Client()
    login_verified(staff, User.objects.create_superuser("buchhaltung@example.com", "geheim-42-x"))
    page = staff.get("/admin/payments/bankstatement/upload/")
    assert page.status_code == 200
    assert "Aufladungen und Auszahlungen" in page.content.decode()
    upload = camt([Line("", 2500, credit=True, reference=ANNA_RF)], statement_id="STMT-2")
    response = staff.post(
        "/admin/payments/bankstatement/upload/",
        {"provider_config": "", "file": SimpleUploadedFile("auszug2.xml", upload)},
        follow=True,
    )
    assert response.status_code == 200
    assert "Aufladungen: 1 gutgeschrieben" in response.content.decode()
    assert wallets.wallet_balance(client_account=anna).total == Money(7500)
    response = staff.post(
        "/admin/payments/bankstatement/upload/",
        {"provider_config": str(config.pk), "file": SimpleUploadedFile("x.xml", b"<oops")},
    )
    assert "Kein wohlgeformtes XML" in response.content.decode()
    assert_ledger_sound()
