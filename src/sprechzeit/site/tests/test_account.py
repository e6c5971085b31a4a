"""The client's account pages: phone PIN, data export, closing with a refund request."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.contrib.auth.hashers import check_password
from django.test import Client
from django.utils import timezone

from sprechzeit.accounts.models import ClientAccount, User
from sprechzeit.accounts.tests.factories import PASSWORD, login_verified
from sprechzeit.consultations.models import PartnerPresence
from sprechzeit.consultations.services import (
    chat_message_create,
    consultation_accept,
    consultation_end,
    consultation_request,
    presence_set,
)
from sprechzeit.consultations.tests.factories import scene
from sprechzeit.ledger.tests.helpers import assert_ledger_sound
from sprechzeit.payments.models import RefundRequest

pytestmark = pytest.mark.django_db


def _host(account: ClientAccount) -> dict[str, str]:
    return {"host": f"{account.platform.slug}.localhost"}


def _logged_in(account: ClientAccount) -> Client:
    browser = Client()
    browser.force_login(account.user, backend="sprechzeit.accounts.backends.PlatformEmailBackend")
    return browser


def test_account_page_and_pin() -> None:
    s = scene(balance_minor=1234)
    browser = _logged_in(s.client)
    host = _host(s.client)
    page = browser.get("/konto/", headers=host).content.decode()
    assert s.client.customer_number in page
    assert "12,34\xa0€" in page
    bad = browser.post("/konto/pin/", {"pin": "12ab", "pin_again": "12ab"}, headers=host)
    assert bad.status_code == 400
    mismatch = browser.post("/konto/pin/", {"pin": "4711", "pin_again": "4712"}, headers=host)
    assert "stimmen nicht überein" in mismatch.content.decode()
    ok = browser.post(
        "/konto/pin/",
        {"pin": "4711", "pin_again": "4711", "phone_number": "+49 30 123456"},
        headers=host,
    )
    assert ok.status_code == 302
    s.client.refresh_from_db()
    assert check_password("4711", s.client.phone_pin_hash)
    assert s.client.phone_number == "+4930123456"


def test_data_export_holds_consultations_and_transcripts() -> None:
    s = scene(balance_minor=2_000)
    start = timezone.now() - timedelta(minutes=10)
    consultation = consultation_request(client=s.client, listing=s.listing, now=start)
    consultation = consultation_accept(consultation=consultation, partner=s.partner, now=start)
    chat_message_create(
        consultation=consultation,
        role="client",
        body="Hallo, eine Frage",
        now=start + timedelta(seconds=5),
    )
    consultation_end(consultation=consultation, reason="client", now=start + timedelta(seconds=90))
    response = _logged_in(s.client).get("/konto/daten/", headers=_host(s.client))
    assert response["Content-Disposition"].startswith("attachment;")
    data = json.loads(response.content)
    assert data["account"]["customer_number"] == s.client.customer_number
    assert data["profile"]["email"] == s.client.user.email
    [exported] = data["consultations"]
    assert exported["billed_seconds"] == 90
    assert exported["messages"][0]["text"] == "Hallo, eine Frage"
    assert data["balance_minor"]["paid"] == 2_000 - exported["amount_minor"]
    assert_ledger_sound()


def test_close_account_requests_refund_and_locks_login() -> None:
    s = scene(balance_minor=1_500)
    browser = _logged_in(s.client)
    host = _host(s.client)
    wrong = browser.post("/konto/schliessen/", {"password": "falsch"}, headers=host)
    assert "stimmt nicht" in wrong.content.decode()
    assert User.objects.get(pk=s.client.user.pk).is_active
    done = browser.post("/konto/schliessen/", {"password": PASSWORD}, headers=host)
    assert "Erstattungsantrag" in done.content.decode()
    request = RefundRequest.objects.get(client_account=s.client)
    assert request.amount_minor == 1_500
    assert not User.objects.get(pk=s.client.user.pk).is_active
    again = Client()
    again.post("/anmelden/", {"email": s.client.user.email, "password": PASSWORD}, headers=host)
    assert "Abmelden" not in again.get("/", headers=host).content.decode()
    assert_ledger_sound()


def test_close_account_refused_during_open_consultation() -> None:
    s = scene(balance_minor=1_000)
    presence_set(partner=s.partner, status=PartnerPresence.Status.ONLINE)
    consultation_request(client=s.client, listing=s.listing)
    response = _logged_in(s.client).post(
        "/konto/schliessen/", {"password": PASSWORD}, headers=_host(s.client)
    )
    assert "laufendes Gespräch" in response.content.decode()
    assert User.objects.get(pk=s.client.user.pk).is_active
    assert not RefundRequest.objects.exists()


def test_account_pages_are_for_clients_only() -> None:
    s = scene()
    partner_browser = Client()
    login_verified(partner_browser, s.partner.user)
    assert partner_browser.get("/konto/", headers=_host(s.client)).status_code == 403
    assert Client().get("/konto/", headers=_host(s.client))["Location"].startswith("/anmelden/")
