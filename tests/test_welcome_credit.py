"""Welcome credit against farming: only after e-mail confirmation, within velocity
limits per sign-up address and e-mail domain, and bonus-funded minutes pay the partner
the platform's configured share. Every money scenario ends with the ledger check."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.core import mail
from django.test import Client

from sprechzeit.accounts.models import ClientAccount
from sprechzeit.accounts.tests.factories import client_create
from sprechzeit.consultations.errors import InsufficientBalance
from sprechzeit.consultations.models import Consultation
from sprechzeit.consultations.services import (
    consultation_accept,
    consultation_end,
    consultation_request,
)
from sprechzeit.consultations.tests.factories import scene, top_up
from sprechzeit.core import clock
from sprechzeit.core.money import Money
from sprechzeit.ledger.models import AccountPurpose
from sprechzeit.ledger.selectors import account_balance
from sprechzeit.ledger.tests.helpers import assert_ledger_sound
from sprechzeit.legal.services import legal_documents_start
from sprechzeit.platforms.models import Platform
from sprechzeit.platforms.tests.factories import platform_create
from sprechzeit.wallets import services as wallets
from sprechzeit.wallets.models import WalletSettings, WelcomeCreditGrant
from sprechzeit.wallets.tests.factories import email_verified

pytestmark = pytest.mark.django_db
A = {"host": "a.localhost"}
T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
WELCOME = 500


def _welcome(platform: Platform, **fields: Any) -> None:
    WalletSettings.objects.update_or_create(
        platform=platform,
        defaults={
            "welcome_credit_minor": WELCOME,
            "welcome_credit_on": WalletSettings.WelcomeOn.REGISTRATION,
            **fields,
        },
    )


def _sign_up(email: str, *, address: str, capture: Any) -> tuple[Client, ClientAccount, str]:
    browser = Client(REMOTE_ADDR=address)
    data = {"email": email, "password": "ein-gutes-passwort-7", "accept_terms": "on"}
    with capture(execute=True):
        assert browser.post("/registrieren/", data, headers=A).status_code == 302
    link = re.search(r"http://a\.localhost(/bestaetigen/[^/\s]+/)", str(mail.outbox[-1].body))
    assert link is not None
    return browser, ClientAccount.objects.get(user__email=email), link.group(1)


def _bonus(account: ClientAccount) -> int:
    return wallets.wallet_balance(client_account=account).bonus.minor


def test_bonus_only_after_the_address_is_confirmed_and_not_spendable_before(
    django_capture_on_commit_callbacks: Any,
) -> None:
    s = scene(balance_minor=0, platform=platform_create(slug="a"))
    legal_documents_start(platform=s.platform)
    _welcome(s.platform)
    browser, account, link = _sign_up(
        "neu@example.com", address="198.51.100.1", capture=django_capture_on_commit_callbacks
    )
    balance = wallets.wallet_balance(client_account=account)
    assert (balance.bonus.minor, balance.available.minor) == (0, 0)
    assert not WelcomeCreditGrant.objects.filter(client_account=account).exists()
    with pytest.raises(InsufficientBalance):
        consultation_request(client=account, listing=s.listing)
    assert not Consultation.objects.filter(client=account).exists()
    assert_ledger_sound()

    confirmed = browser.get(link, headers=A)
    assert confirmed.status_code == 200
    assert "Ihr Startguthaben von 5,00\xa0€ ist gutgeschrieben" in confirmed.content.decode()
    assert _bonus(account) == WELCOME
    # Opening the link again gives nothing more.
    again = browser.get(link, headers=A)
    assert again.status_code == 200
    assert "Startguthaben" not in again.content.decode()
    assert _bonus(account) == WELCOME
    assert WelcomeCreditGrant.objects.filter(client_account=account).count() == 1
    # The start page names it too, with the minutes it buys.
    browser.force_login(account.user)
    offer = browser.get(f"/beratung/starten/{s.listing.slug}/", headers=A).content.decode()
    assert "Ihr Startguthaben von 5,00\xa0€ ist gutgeschrieben" in offer
    consultation = consultation_request(client=account, listing=s.listing)
    assert consultation.status == Consultation.Status.REQUESTED
    assert_ledger_sound()


def test_eleventh_sign_up_from_one_address_gets_no_bonus(
    django_capture_on_commit_callbacks: Any,
) -> None:
    platform = platform_create(slug="a")
    legal_documents_start(platform=platform, valid_from=T0)
    _welcome(platform, welcome_max_per_address=10, welcome_max_per_domain=None)
    with clock.frozen_at(T0) as frozen:
        accounts = []
        for n in range(11):
            browser, account, link = _sign_up(
                f"person{n}@mail{n}.example",
                address="203.0.113.50",
                capture=django_capture_on_commit_callbacks,
            )
            assert browser.get(link, headers=A).status_code == 200
            accounts.append(account)
            frozen.tick(minutes=10)
        assert [_bonus(a) for a in accounts] == [WELCOME] * 10 + [0]
        # A normal account all the same: logged in and confirmed.
        accounts[10].user.refresh_from_db()
        assert accounts[10].user.email_verified_at is not None
        # Another address is not affected.
        browser, other, link = _sign_up(
            "other@mail99.example",
            address="198.51.100.7",
            capture=django_capture_on_commit_callbacks,
        )
        browser.get(link, headers=A)
        assert _bonus(other) == WELCOME
        # After the window the address may earn a bonus again.
        frozen.tick(hours=24)
        browser, later, link = _sign_up(
            "later@mail77.example",
            address="203.0.113.50",
            capture=django_capture_on_commit_callbacks,
        )
        browser.get(link, headers=A)
        assert _bonus(later) == WELCOME
    assert_ledger_sound()


def test_domain_limit_counts_normalised_addresses_and_spares_free_mail() -> None:
    platform = platform_create()
    _welcome(platform, welcome_max_per_address=None, welcome_max_per_domain=2)
    with clock.frozen_at(T0):
        farm = [client_create(platform=platform, email=f"x{n}@farm.example") for n in range(3)]
        for account in farm:
            email_verified(account)
        assert [_bonus(a) for a in farm] == [WELCOME, WELCOME, 0]
        # Plus-tags and Gmail dots are the same person: one credit.
        first = client_create(platform=platform, email="erika.muster@gmail.com")
        alias = client_create(platform=platform, email="erikamuster+neu@gmail.com")
        free = [client_create(platform=platform, email=f"p{n}@gmail.com") for n in range(3)]
        for account in (first, alias, *free):
            email_verified(account)
        assert (_bonus(first), _bonus(alias)) == (WELCOME, 0)
        assert [_bonus(a) for a in free] == [WELCOME] * 3  # free mail: no domain limit
    assert_ledger_sound()


def _consult(*, bonus_share: str, paid_minor: int) -> tuple[Consultation, int, int]:
    """A 5-minute chat at 2 €/min by a client with 5 € welcome credit and `paid_minor`
    paid balance; returns the consultation, the partner's payable and the revenue."""
    s = scene(balance_minor=0, rate_minor=200)
    Platform.objects.filter(pk=s.platform.pk).update(bonus_partner_share=Decimal(bonus_share))
    _welcome(s.platform)
    email_verified(s.client)
    if paid_minor:
        top_up(client=s.client, minor=paid_minor)
    consultation = consultation_request(client=s.client, listing=s.listing, now=T0)
    consultation = consultation_accept(
        consultation=consultation, partner=s.partner, now=T0 + timedelta(seconds=5)
    )
    consultation = consultation_end(
        consultation=consultation,
        reason=Consultation.EndReason.CLIENT,
        at_second=300,
        now=T0 + timedelta(seconds=305),
    )
    payable = wallets.partner_payable_account(partner=s.partner, currency="EUR")
    revenue = wallets.platform_account(platform=s.platform, purpose=AccountPurpose.PLATFORM_REVENUE)
    return (
        consultation,
        account_balance(account=payable).posted.minor,
        account_balance(account=revenue).posted.minor,
    )


@pytest.mark.parametrize(
    ("bonus_share", "paid_minor", "partner", "platform_share"),
    [
        # 10 € gross, 19 % VAT: net 8.40 €, the partner's normal half 4.20 €.
        ("100.00", 1000, 420, 420),  # the default: bonus minutes pay like paid ones
        # Half the charge is bonus: 2.10 € of the share is bonus-funded, paid at 50 %.
        ("50.00", 1000, 315, 525),
        ("0.00", 1000, 210, 630),
    ],
)
def test_bonus_funded_minutes_pay_the_partner_the_platform_share(
    bonus_share: str, paid_minor: int, partner: int, platform_share: int
) -> None:
    consultation, payable, revenue = _consult(bonus_share=bonus_share, paid_minor=paid_minor)
    assert consultation.amount_minor == 1000
    assert consultation.vat_minor == 160
    assert (consultation.partner_share_minor, consultation.platform_share_minor) == (
        partner,
        platform_share,
    )
    # The ledger pays what the consultation records; the operator keeps the difference.
    assert (payable, revenue) == (partner, platform_share)
    client_balance = wallets.wallet_balance(client_account=consultation.client)
    assert (client_balance.bonus, client_balance.paid) == (Money(0, "EUR"), Money(500, "EUR"))
    assert_ledger_sound()


def test_wholly_bonus_funded_consultation_at_a_reduced_share() -> None:
    s = scene(balance_minor=0, rate_minor=200)
    Platform.objects.filter(pk=s.platform.pk).update(bonus_partner_share=Decimal("40.00"))
    _welcome(s.platform)
    email_verified(s.client)
    consultation = consultation_request(client=s.client, listing=s.listing, now=T0)
    consultation = consultation_accept(
        consultation=consultation, partner=s.partner, now=T0 + timedelta(seconds=5)
    )
    consultation = consultation_end(
        consultation=consultation,
        reason=Consultation.EndReason.CLIENT,
        at_second=120,
        now=T0 + timedelta(seconds=125),
    )
    # 4 € gross: net 3.36 €, normal share 1.68 €, all bonus-funded: 40 % of it = 0.67 €.
    assert (consultation.amount_minor, consultation.vat_minor) == (400, 64)
    assert (consultation.partner_share_minor, consultation.platform_share_minor) == (67, 269)
    assert_ledger_sound()
