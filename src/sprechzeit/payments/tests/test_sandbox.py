"""The demo path: a client tops up with the sandbox and sees the balance; the hosted
TEST MODE checkout's three outcomes; staff chargeback; pages and limits."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from sprechzeit.core import clock
from sprechzeit.ledger.tests.helpers import assert_ledger_sound
from sprechzeit.payments import selectors
from sprechzeit.payments.errors import ProviderNotConfigured
from sprechzeit.payments.models import InboxEntry, Payment, PaymentStatus, RefundRequest
from sprechzeit.payments.services import payments
from sprechzeit.payments.services.sandbox import sandbox_deliver
from sprechzeit.payments.services.setup import platform_payments_default
from sprechzeit.payments.tests.factories import (
    channel,
    client,
    eur,
    host,
    platform_with_channels,
    sandbox_payment,
    sandbox_setup,
)
from sprechzeit.wallets import errors as wallet_errors
from sprechzeit.wallets import services as wallets
from sprechzeit.wallets.models import WalletSettings, WalletState

pytestmark = pytest.mark.django_db


def _start(browser: Client, platform_host: dict[str, str], channel_id: int, amount: str) -> Payment:
    response = browser.post(
        "/guthaben/aufladen/", {"channel": channel_id, "amount": amount}, headers=platform_host
    )
    assert response.status_code == 302, response.content.decode()
    payment = Payment.objects.latest("created_at")
    assert response["Location"] == f"/testkasse/{payment.pk}/"
    return payment


def test_demo_client_tops_up_with_sandbox_and_sees_balance() -> None:
    platform, _config, policy = sandbox_setup()
    account = client(platform)
    browser = Client()
    browser.force_login(account.user)
    page = browser.get("/guthaben/aufladen/", headers=host(platform))
    assert page.status_code == 200
    assert "TESTMODUS" in page.content.decode()
    payment = _start(browser, host(platform), policy.pk, "25,00")
    checkout = browser.get(f"/testkasse/{payment.pk}/", headers=host(platform))
    assert "TESTMODUS" in checkout.content.decode()
    result = browser.post(
        f"/testkasse/{payment.pk}/", {"outcome": "success"}, headers=host(platform), follow=True
    )
    assert 'data-status="succeeded"' in result.content.decode()
    assert wallets.wallet_balance(client_account=account).total == eur(2500)
    history = browser.get("/guthaben/", headers=host(platform))
    assert "25,00" in history.content.decode()
    assert_ledger_sound()


def test_failure_books_nothing_and_pending_settles_later() -> None:
    platform, _config, policy = sandbox_setup()
    account = client(platform)
    browser = Client()
    browser.force_login(account.user)
    failed = _start(browser, host(platform), policy.pk, "10")
    browser.post(f"/testkasse/{failed.pk}/", {"outcome": "failure"}, headers=host(platform))
    failed.refresh_from_db()
    assert failed.status == PaymentStatus.FAILED
    pending = _start(browser, host(platform), policy.pk, "20")
    browser.post(f"/testkasse/{pending.pk}/", {"outcome": "pending"}, headers=host(platform))
    pending.refresh_from_db()
    assert pending.status == PaymentStatus.PENDING
    assert wallets.wallet_balance(client_account=account).total == eur(0)
    browser.post(f"/testkasse/{pending.pk}/", {"outcome": "settle"}, headers=host(platform))
    pending.refresh_from_db()
    assert pending.status == PaymentStatus.SUCCEEDED
    assert wallets.wallet_balance(client_account=account).total == eur(2000)
    assert_ledger_sound()


def test_trusted_client_is_credited_at_once_on_slow_channel_and_failure_takes_it_back() -> None:
    platform, _config, policy = sandbox_setup(slow=True, credit_on="initiation_if_trusted")
    account = client(platform)
    wallets.wallet_mark_trusted(client_account=account)
    payment = sandbox_payment(account=account, policy=policy, minor=3000)
    sandbox_deliver(payment=payment, event_type="payment.pending")
    assert wallets.wallet_balance(client_account=account).total == eur(3000)
    sandbox_deliver(payment=payment, event_type="payment.failed")
    balance = wallets.wallet_balance(client_account=account)
    assert balance.total == eur(0)
    assert_ledger_sound()


def test_replayed_and_stale_events_credit_once() -> None:
    platform, config, policy = sandbox_setup()
    account = client(platform)
    payment = sandbox_payment(account=account, policy=policy, minor=1000)
    for _ in range(3):
        sandbox_deliver(payment=payment, event_type="payment.succeeded")
    sandbox_deliver(payment=payment, event_type="payment.pending")  # late and stale
    sandbox_deliver(payment=payment, event_type="payment.failed")  # stale too
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    assert wallets.wallet_balance(client_account=account).total == eur(1000)
    assert InboxEntry.objects.filter(provider_config=config).count() == 5
    assert_ledger_sound()


def test_staff_chargeback_after_spending_blocks_client() -> None:
    platform, _config, policy = sandbox_setup()
    account = client(platform)
    payment = sandbox_payment(account=account, policy=policy, minor=1000)
    sandbox_deliver(payment=payment, event_type="payment.succeeded")
    sandbox_deliver(payment=payment, event_type="dispute.lost", dispute_id="cb1")
    sandbox_deliver(payment=payment, event_type="dispute.lost", dispute_id="cb1")
    balance = wallets.wallet_balance(client_account=account)
    assert balance.total == eur(0)
    browser = Client()
    browser.force_login(account.user)
    response = browser.post(
        "/guthaben/aufladen/", {"channel": policy.pk, "amount": "10"}, headers=host(platform)
    )
    assert response.status_code == 400
    assert "gesperrt" in response.content.decode()
    assert_ledger_sound()


def test_amount_outside_channel_limits_is_refused() -> None:
    platform, _config, policy = sandbox_setup(min_minor=1000, max_minor=2000)
    account = client(platform)
    browser = Client()
    browser.force_login(account.user)
    for amount in ("9,99", "20,01", "abc", "-5"):
        response = browser.post(
            "/guthaben/aufladen/", {"channel": policy.pk, "amount": amount}, headers=host(platform)
        )
        assert response.status_code == 400
    assert not Payment.objects.exists()


def test_deposit_limit_refuses_top_up_over_the_month() -> None:
    platform, _config, policy = sandbox_setup()
    account = client(platform)
    wallets.wallet_set_deposit_limit(client_account=account, limit=eur(3000))
    first = sandbox_payment(account=account, policy=policy, minor=2000)
    sandbox_deliver(payment=first, event_type="payment.succeeded")
    with pytest.raises(Exception, match="Einzahlungslimit") as excinfo:
        payments.payment_start(
            client_account=account,
            policy=policy,
            amount=eur(1500),
            return_url="/r/{id}",
            cancel_url="/c",
            webhook_url="/h",
        )
    assert getattr(excinfo.value, "code", "") == "deposit_limit_exceeded"


def test_welcome_credit_on_first_top_up_once() -> None:
    platform, _config, policy = sandbox_setup()
    WalletSettings.objects.create(platform=platform, welcome_credit_minor=500)
    account = client(platform)
    for _ in range(2):
        payment = sandbox_payment(account=account, policy=policy, minor=1000)
        sandbox_deliver(payment=payment, event_type="payment.succeeded")
    balance = wallets.wallet_balance(client_account=account)
    assert (balance.paid, balance.bonus) == (eur(2000), eur(500))
    assert_ledger_sound()


def test_pages_need_a_logged_in_client() -> None:
    platform, _config, _policy = sandbox_setup()
    for url in ("/guthaben/", "/guthaben/aufladen/"):
        response = Client().get(url, headers=host(platform))
        assert response.status_code == 302
        assert "/login" in response["Location"] or "anmelden" in response["Location"]


def test_trusted_only_channel_opens_after_first_successful_payment() -> None:
    platform, config, policy = sandbox_setup()
    sepa = channel(config, "sepa_debit", requires_trusted=True, slow=True)
    account = client(platform)
    assert selectors.channels_for(client_account=account) == [policy]
    with pytest.raises(Exception, match="Zahlart"):
        payments.payment_start(
            client_account=account,
            policy=sepa,
            amount=eur(1000),
            return_url="/r",
            cancel_url="/c",
            webhook_url="/h",
        )
    first = sandbox_payment(account=account, policy=policy, minor=1000)
    sandbox_deliver(payment=first, event_type="payment.succeeded")
    assert sepa in selectors.channels_for(client_account=account)


def test_default_setup_is_idempotent_and_offers_bank_transfer_with_iban() -> None:
    platform = platform_with_channels()
    platform.legal_entity.iban = "DE89370400440532013000"
    platform.legal_entity.save()
    first = platform_payments_default(platform=platform)
    again = platform_payments_default(platform=platform)
    assert [p.pk for p in first] == [p.pk for p in again]
    assert [p.channel for p in first] == ["sandbox", "bank_transfer"]
    account = client(platform)
    browser = Client()
    browser.force_login(account.user)
    page = browser.get("/guthaben/aufladen/", headers=host(platform)).content.decode()
    assert "DE89370400440532013000" in page
    assert "RF" in page


def test_open_checkout_counts_against_the_limit_for_an_hour() -> None:
    platform, _config, policy = sandbox_setup()
    account = client(platform)
    wallets.wallet_set_deposit_limit(client_account=account, limit=eur(3000))
    start = clock.now()
    with clock.frozen_at(start) as frozen:
        payments.payment_start(
            client_account=account,
            policy=policy,
            amount=eur(2500),
            return_url="/r/{id}",
            cancel_url="/c",
            webhook_url="/h",
        )
        with pytest.raises(wallet_errors.DepositLimitExceeded):
            payments.payment_start(
                client_account=account,
                policy=policy,
                amount=eur(1000),
                return_url="/r/{id}",
                cancel_url="/c",
                webhook_url="/h",
            )
        frozen.tick(minutes=61)
        if timezone.localtime(frozen.tick()).month == timezone.localtime(start).month:
            payments.payment_start(
                client_account=account,
                policy=policy,
                amount=eur(1000),
                return_url="/r/{id}",
                cancel_url="/c",
                webhook_url="/h",
            )


def test_sandbox_is_refused_in_production_and_only_the_payer_sees_its_checkout(
    settings: Any,
) -> None:
    platform, _config, policy = sandbox_setup()
    account, other = client(platform), client(platform)
    payment = sandbox_payment(account=account, policy=policy, minor=1000)
    stranger = Client()
    stranger.force_login(other.user)
    assert stranger.get(f"/testkasse/{payment.pk}/", headers=host(platform)).status_code == 404
    assert (
        stranger.post(
            f"/testkasse/{payment.pk}/", {"outcome": "success"}, headers=host(platform)
        ).status_code
        == 404
    )
    settings.SPRECHZEIT_MODE = "production"
    with pytest.raises(ProviderNotConfigured):
        payments.payment_start(
            client_account=account,
            policy=policy,
            amount=eur(1000),
            return_url="/r/{id}",
            cancel_url="/c",
            webhook_url="/h",
        )


def test_wallet_form_actions_go_back_to_the_wallet_with_the_refusal_or_the_result() -> None:
    platform, _config, _policy = sandbox_setup()
    account = client(platform)
    browser = Client()
    browser.force_login(account.user)
    # Nothing paid in, nothing to refund: the DomainError's message on the wallet page.
    refused = browser.post("/guthaben/erstattung/", headers=host(platform), follow=True)
    assert refused.redirect_chain == [("/guthaben/", 302)]
    assert [m.level_tag for m in refused.context["messages"]] == ["error"]
    assert not RefundRequest.objects.exists()
    limited = browser.post(
        "/guthaben/limit/", {"limit": "50,00"}, headers=host(platform), follow=True
    )
    assert limited.redirect_chain == [("/guthaben/", 302)]
    assert wallets.wallet_deposit_limit(client_account=account) == eur(5000)


def test_self_exclusion_is_set_extended_but_never_shortened_from_the_wallet() -> None:
    platform, _config, _policy = sandbox_setup()
    account = client(platform)
    browser = Client()
    browser.force_login(account.user)

    def exclude(days: str) -> list[str]:
        response = browser.post(
            "/guthaben/selbstsperre/", {"days": days}, headers=host(platform), follow=True
        )
        assert response.redirect_chain == [("/guthaben/", 302)]
        return [f"{m.level_tag}: {m.message}" for m in response.context["messages"]]

    assert exclude("30") == ["success: Ihre Selbstsperre ist aktiv."]
    until = WalletState.objects.get(client_account=account).excluded_until
    # Shorter than what runs: the service refuses, the wallet page says why.
    assert exclude("7") == ["error: Eine Selbstsperre kann nur verlängert, nicht verkürzt werden."]
    assert exclude("3") == ["error: Die Selbstsperre konnte nicht gesetzt werden."]
    assert WalletState.objects.get(client_account=account).excluded_until == until
