"""What a client sees of refunds and chargebacks: a refund of a chosen amount (at most
what is refundable), its status afterwards, no offer when nothing is refundable; a
charged-back payment listed as such and no "Jetzt chatten" while the account is blocked."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from sprechzeit.accounts.tests.factories import partner_with_listing
from sprechzeit.ledger.tests.helpers import assert_ledger_sound
from sprechzeit.payments.models import Payment, RefundRequest, RefundRequestStatus
from sprechzeit.payments.services import refunds
from sprechzeit.payments.services.sandbox import sandbox_deliver
from sprechzeit.payments.tests.factories import client, eur, host, sandbox_payment, sandbox_setup
from sprechzeit.wallets import services as wallets

pytestmark = pytest.mark.django_db


def _paid(minor: int) -> tuple[Client, Payment]:
    platform, _config, policy = sandbox_setup()
    account = client(platform)
    payment = sandbox_payment(account=account, policy=policy, minor=minor)
    sandbox_deliver(payment=payment, event_type="payment.succeeded")
    browser = Client(headers=host(platform))
    browser.force_login(account.user)
    payment.refresh_from_db()
    return browser, payment


def _refund_section(browser: Client) -> str:
    html = browser.get("/guthaben/").content.decode()
    match = re.search(
        r'<section aria-labelledby="refund-heading" id="refund">.*?</section>', html, re.S
    )
    assert match is not None
    return match.group(0)


def _status_of(browser: Client, payment: Payment) -> str:
    html = browser.get("/guthaben/").content.decode()
    match = re.search(
        rf'<tr data-payment="{payment.pk}">.*?class="payment-status[^"]*">([^<]+)</a>', html, re.S
    )
    assert match is not None
    return match.group(1)


def test_refund_of_a_chosen_amount_then_its_status() -> None:
    browser, payment = _paid(1000)
    section = _refund_section(browser)
    assert "Betrag in Euro (höchstens 10,00\xa0€)" in section
    assert 'value="10,00"' in section

    too_much = browser.post("/guthaben/erstattung/", {"amount": "12,00"}, follow=True)
    assert "Erstattbar sind zurzeit höchstens 10,00\xa0€." in too_much.content.decode()
    for wrong in ("0", "-1", "abc"):
        browser.post("/guthaben/erstattung/", {"amount": wrong})
    assert not RefundRequest.objects.exists()

    asked = browser.post("/guthaben/erstattung/", {"amount": "4,50"}, follow=True)
    assert "Ihr Erstattungsantrag wurde an unser Team übermittelt." in asked.content.decode()
    request = RefundRequest.objects.get()
    assert (request.amount_minor, request.status) == (450, RefundRequestStatus.REQUESTED)
    section = _refund_section(browser)
    assert "4,50\xa0€" in section
    assert "beantragt – wird von unserem Team geprüft" in section
    assert 'name="amount"' not in section  # one open request at a time
    assert _status_of(browser, payment) == "erfolgreich"

    refunds.refund_request_approve(request=request, staff="finanz@example.com")
    section = _refund_section(browser)
    assert "genehmigt: 4,50\xa0€ erstattet" in section
    assert "Betrag in Euro (höchstens 5,50\xa0€)" in section
    assert _status_of(browser, payment) == "teilweise erstattet"
    assert wallets.wallet_balance(client_account=payment.client_account).paid == eur(550)
    assert_ledger_sound()


def test_nothing_refundable_offers_no_refund() -> None:
    platform, _config, _policy = sandbox_setup()
    account = client(platform)
    browser = Client(headers=host(platform))
    browser.force_login(account.user)
    section = _refund_section(browser)
    assert 'name="amount"' not in section
    assert "Zurzeit ist kein eingezahltes Guthaben erstattbar." in section
    refused = browser.post("/guthaben/erstattung/", {}, follow=True)
    assert "Zurzeit ist kein eingezahltes Guthaben erstattbar." in refused.content.decode()
    assert not RefundRequest.objects.exists()


def test_chargeback_shows_on_the_payment_and_blocks_chatting() -> None:
    browser, payment = _paid(1000)
    platform = payment.platform
    _partner, listing = partner_with_listing(platform=platform)
    profile = browser.get(f"/berater/{listing.slug}/").content.decode()
    assert "Jetzt chatten" in profile
    assert _status_of(browser, payment) == "erfolgreich"

    sandbox_deliver(payment=payment, event_type="dispute.opened", dispute_id="cb1")
    assert _status_of(browser, payment) == "angefochten (Rückbuchung offen)"
    sandbox_deliver(payment=payment, event_type="dispute.lost", dispute_id="cb1")
    assert _status_of(browser, payment) == "zurückgebucht"

    wallets.wallet_block(client_account=payment.client_account, reason="chargeback")
    profile = browser.get(f"/berater/{listing.slug}/").content.decode()
    assert "Jetzt chatten" not in profile
    assert 'id="spend-refusal"' in profile
    assert "Ihr Konto ist gesperrt" in profile
    start = browser.get(f"/beratung/starten/{listing.slug}/").content.decode()
    assert 'id="confirm-start"' not in start
    assert 'id="start-refusal"' in start
    section = _refund_section(browser)
    assert 'name="amount"' not in section
    assert "Solange ein Betrag offen ist, ist keine Erstattung möglich." in section
    assert_ledger_sound()
