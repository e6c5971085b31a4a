"""The phone PIN locks after too many wrong entries across calls, through the real voice
webhooks signed with Twilio's RequestValidator; the client unlocks with a new PIN on the
account page, support with the admin action."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from django.test import Client

from sprechzeit.accounts import roles
from sprechzeit.accounts.models import ClientAccount, PhonePinEvent, User
from sprechzeit.accounts.services import staff_create
from sprechzeit.accounts.tests.factories import PASSWORD, login_verified
from sprechzeit.consultations.models import Consultation, VoiceCall
from sprechzeit.consultations.tests.test_telephony import PIN, Phone, voice_setup
from sprechzeit.core import clock

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
LOCKED_DE = "Telefonzugang ist gesperrt"
Kind = PhonePinEvent.Kind


def _twiml_ok(response: Any) -> str:
    assert response.status_code == 200
    return bytes(response.content).decode()


def _enter(phone: Phone, customer: str, pin: str) -> str:
    phone.post("customer", Digits=customer)
    return _twiml_ok(phone.post("pin", Digits=pin))


def _lock(account: ClientAccount, phone_config: Any) -> None:
    """Five wrong PINs over two calls (a call ends after three)."""
    first = Phone(phone_config, "CA-guess-1")
    first.post("incoming")
    for _ in range(3):
        body = _enter(first, account.customer_number, "0000")
    assert "dreimal falsch" in body  # the call's own limit, not yet the account's
    second = Phone(phone_config, "CA-guess-2")
    second.post("incoming")
    assert "nicht richtig" in _enter(second, account.customer_number, "1111")
    body = _enter(second, account.customer_number, "2222")
    assert LOCKED_DE in body
    assert "neue PIN" in body
    assert "<Hangup" in body


def test_five_wrong_pins_over_two_calls_lock_the_account() -> None:
    s, config = voice_setup()
    with clock.frozen_at(T0):
        _lock(s.client, config)
    s.client.refresh_from_db()
    assert s.client.phone_pin_locked_at == T0
    # A third call with the right PIN is not let in, and the PIN is not even checked.
    third = Phone(config, "CA-right-pin")
    third.post("incoming")
    body = _enter(third, s.client.customer_number, PIN)
    assert LOCKED_DE in body
    assert "Durchwahl" not in body
    assert VoiceCall.objects.get(call_sid="CA-right-pin").client is None
    assert third.post("extension", Digits="123").status_code == 404
    assert not Consultation.objects.exists()
    events = list(PhonePinEvent.objects.filter(client_account=s.client).order_by("pk"))
    assert [e.kind for e in events] == [Kind.WRONG] * 5 + [Kind.REFUSED]
    assert [e.call_ref for e in events] == ["CA-guess-1"] * 3 + ["CA-guess-2"] * 2 + [
        "CA-right-pin"
    ]
    assert all(e.at is not None for e in events)


def test_the_lock_is_told_in_the_account_language_and_holds_for_caller_id() -> None:
    s, config = voice_setup()
    User.objects.filter(pk=s.client.user_id).update(language="en")
    s.client.phone_number = "+491511234567"
    s.client.save(update_fields=["phone_number"])
    bodies = []
    for n in range(5):
        call = Phone(config, f"CA-en-{n}", caller="+4917099999")
        call.post("incoming")
        bodies.append(_enter(call, s.client.customer_number, "0000"))
    assert all("nicht richtig" in body for body in bodies[:4])
    assert "Your phone access is locked" in bodies[4]
    assert 'language="en-GB"' in bodies[4]
    # Recognised by caller ID (no PIN asked): refused as well, before any question.
    body = _twiml_ok(Phone(config, "CA-callerid", caller="+491511234567").post("incoming"))
    assert "Your phone access is locked" in body
    assert "<Hangup" in body
    assert "<Gather" not in body


def test_failures_count_within_the_window_and_since_the_last_right_pin() -> None:
    s, config = voice_setup()
    with clock.frozen_at(T0) as frozen:
        call = Phone(config, "CA-a")
        call.post("incoming")
        for _ in range(2):
            _enter(call, s.client.customer_number, "0000")
        call = Phone(config, "CA-b")
        call.post("incoming")
        for _ in range(2):
            _enter(call, s.client.customer_number, "0000")
        # Four wrong; the right PIN starts the count afresh.
        assert "Durchwahl" in _enter(call, s.client.customer_number, PIN)
        for n in range(2):
            again = Phone(config, f"CA-c{n}")
            again.post("incoming")
            for _ in range(2):
                assert LOCKED_DE not in _enter(again, s.client.customer_number, "0000")
        # Four wrong since the right one; a day later they have left the window.
        frozen.tick(hours=24, seconds=1)
        late = Phone(config, "CA-late")
        late.post("incoming")
        assert "nicht richtig" in _enter(late, s.client.customer_number, "0000")
    s.client.refresh_from_db()
    assert s.client.phone_pin_locked_at is None


def test_client_sees_the_lock_and_a_new_pin_unlocks_it() -> None:
    s, config = voice_setup()
    with clock.frozen_at(T0):
        _lock(s.client, config)
    browser = Client()
    browser.post(
        "/anmelden/",
        {"email": s.client.user.email, "password": PASSWORD},
        headers={"host": f"{s.platform.slug}.localhost"},
    )
    host = {"host": f"{s.platform.slug}.localhost"}
    page = browser.get("/konto/", headers=host).content.decode()
    assert "Ihr Telefonzugang ist seit" in page
    assert "neue PIN fest" in page
    response = browser.post(
        "/konto/pin/", {"pin": "2468", "pin_again": "2468", "phone_number": ""}, headers=host
    )
    assert response.status_code == 302
    page = browser.get("/konto/", headers=host).content.decode()
    assert "Ihr Telefonzugang ist wieder freigegeben." in page
    assert "Ihr Telefonzugang ist seit" not in page
    s.client.refresh_from_db()
    assert s.client.phone_pin_locked_at is None
    call = Phone(config, "CA-after")
    call.post("incoming")
    assert "Durchwahl" in _enter(call, s.client.customer_number, "2468")
    unlock = PhonePinEvent.objects.get(client_account=s.client, kind=Kind.UNLOCKED)
    assert unlock.by == "client"


def test_support_unlocks_with_the_admin_action() -> None:
    s, config = voice_setup()
    with clock.frozen_at(T0):
        _lock(s.client, config)
    support = staff_create(email="support@example.com", password=PASSWORD, role=roles.SUPPORT)
    desk = Client()
    login_verified(desk, support)
    net = {"host": "127.0.0.1"}
    change = desk.get(f"/admin/accounts/clientaccount/{s.client.pk}/change/", headers=net)
    assert change.status_code == 200
    page = change.content.decode()
    assert page.count("falsche PIN") == 5  # the recorded entries, with their calls
    assert "CA-guess-2" in page
    response = desk.post(
        "/admin/accounts/clientaccount/",
        {"action": "unlock_phone_pin", "_selected_action": [str(s.client.pk)]},
        headers=net,
    )
    assert response.status_code == 302
    s.client.refresh_from_db()
    assert s.client.phone_pin_locked_at is None
    assert PhonePinEvent.objects.get(kind=Kind.UNLOCKED).by == f"support:{support.pk}"
    call = Phone(config, "CA-after-support")
    call.post("incoming")
    assert "Durchwahl" in _enter(call, s.client.customer_number, PIN)
