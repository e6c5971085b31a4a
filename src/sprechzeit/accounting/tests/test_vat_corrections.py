"""§ 17 UStG: the VAT booked on bonus-funded minutes and on consumption written off after
a chargeback is booked back, and the VAT return's Kz 81 follows (#14 point 3)."""

from __future__ import annotations

import uuid

import pytest

from sprechzeit.accounting.vat import vat_return
from sprechzeit.accounting.vat_corrections import PURPOSE, vat_corrections_book
from sprechzeit.accounts.tests.factories import client_create
from sprechzeit.consultations.tests.factories import Scene, scene, top_up
from sprechzeit.core import clock
from sprechzeit.core.money import Money
from sprechzeit.ledger import services as ledger
from sprechzeit.ledger.models import AccountPurpose, Transfer
from sprechzeit.ledger.selectors import account_balance
from sprechzeit.ledger.tests.helpers import assert_ledger_sound
from sprechzeit.statements.periods import period_parse
from sprechzeit.statements.tests.factories import at, settled
from sprechzeit.wallets import services as wallets

pytestmark = pytest.mark.django_db


def _bonus(s: Scene, minor: int) -> None:
    """A goodwill bonus of `minor`, funded by the platform's promotion account."""
    wallet = wallets.wallet_for(s.client)
    ledger.transfer_post(
        id=uuid.uuid4(),
        debit_account=wallets.platform_account(
            platform=s.platform, purpose=AccountPurpose.PROMOTION_EXPENSE
        ),
        credit_account=wallet.bonus,
        amount=Money(minor, "EUR"),
        purpose="welcome_credit",
        reference=f"client:{s.client.pk}",
    )


def test_bonus_minutes_and_write_offs_carry_no_vat() -> None:
    with clock.frozen_at(at(2026, 10, 1)):
        s = scene(balance_minor=2000, rate_minor=199)
        _bonus(s, 500)
        other = client_create(platform=s.platform)
        top_up(client=other, minor=2000)
    # 10 minutes at 1,99 €: 19,90 € with 3,18 € VAT; 5,00 € of it paid by the bonus
    first = settled(s, seconds=600, when=at(2026, 10, 5))
    second = settled(
        Scene(platform=s.platform, partner=s.partner, listing=s.listing, client=other),
        seconds=600,
        when=at(2026, 10, 6),
    )
    assert (first.vat_minor, second.vat_minor) == (318, 318)
    # the other client's payment is charged back after it was spent: written off
    with clock.frozen_at(at(2026, 10, 20)):
        wallets.wallet_chargeback(
            client_account=other,
            amount=Money(2000, "EUR"),
            destination=wallets.platform_account(
                platform=s.platform, purpose=AccountPurpose.PROVIDER_CLEARING
            ),
            id=uuid.uuid4(),
            reference="payment:x",
        )
        assert wallets.wallet_write_off(client_account=other, id=uuid.uuid4()) == Money(1990, "EUR")
    entity = s.platform.legal_entity
    output_vat = wallets.platform_account(platform=s.platform, purpose=AccountPurpose.OUTPUT_VAT)
    assert account_balance(account=output_vat).posted.minor == 636
    october = period_parse("2026-10")
    with clock.frozen_at(at(2026, 11, 2)):
        corrections = vat_corrections_book(legal_entity=entity, period=october)
    booked = {c.kind: (c.basis_minor, c.vat_minor) for c in corrections}
    # bonus: 318 × 500 / 1990 = 79,9 → 80; write-off: 19,90 € contains 3,18 € VAT
    assert booked == {"bonus": (500, 80), "write_off": (1990, 318)}
    assert account_balance(account=output_vat).posted.minor == 636 - 80 - 318
    # a rerun books nothing twice
    with clock.frozen_at(at(2026, 11, 3)):
        vat_corrections_book(legal_entity=entity, period=october)
    assert Transfer.objects.filter(purpose=PURPOSE).count() == 2
    figures = vat_return(legal_entity=entity, period="2026-10")
    assert figures.kz81_tax == 636 - 80 - 318
    assert figures.kz81_corrections == 398
    assert figures.kz81_basis == (1990 - 318) * 2 - (500 - 80) - (1990 - 318)
    assert figures.reconciled, figures.ledger
    assert_ledger_sound()


def test_the_month_end_task_books_the_corrections_once() -> None:
    from sprechzeit.accounting.tasks import month_end  # noqa: PLC0415

    with clock.frozen_at(at(2026, 10, 1)):
        s = scene(balance_minor=2000, rate_minor=199)
        _bonus(s, 500)
    settled(s, seconds=600, when=at(2026, 10, 5))
    with clock.frozen_at(at(2026, 11, 1, 4)):
        assert month_end.delay().get() == "2026-10: 1 correction(s), 0 invoice(s), 0 held"
        month_end.delay().get()
    assert Transfer.objects.filter(purpose=PURPOSE).count() == 1
    assert_ledger_sound()
