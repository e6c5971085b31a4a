"""Voice webhooks with requests signed by Twilio's RequestValidator."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from twilio.request_validator import RequestValidator

from sprechzeit.accounts.services import client_set_pin
from sprechzeit.consultations.models import Consultation, VoiceCall, VoiceConfig
from sprechzeit.consultations.tests.factories import Scene, scene, wallet_available
from sprechzeit.ledger.models import Transfer
from sprechzeit.ledger.tests.helpers import assert_ledger_sound
from sprechzeit.legal.models import Consent
from sprechzeit.legal.services import legal_documents_start, withdrawal_waiver_ensure

pytestmark = pytest.mark.django_db

TOKEN = "test-auth-token-0123456789"
PIN = "4711"


class Phone:
    """Plays Twilio: posts signed webhooks for one call."""

    def __init__(self, config: VoiceConfig, call_sid: str, caller: str = "+4917000000") -> None:
        self.config = config
        self.call_sid = call_sid
        self.caller = caller
        self.browser = Client()

    def url(self, step: str) -> str:
        return f"http://testserver/hooks/voice/{self.config.pk}/{step}/"

    def post(self, step: str, *, token: str = TOKEN, **params: str) -> Any:
        data = {"CallSid": self.call_sid, "From": self.caller, "To": "+4930999", **params}
        signature = RequestValidator(token).compute_signature(self.url(step), data)
        return self.browser.post(
            self.url(step), data, HTTP_X_TWILIO_SIGNATURE=signature, HTTP_HOST="testserver"
        )


def voice_setup(balance_minor: int = 500, *, waiver: bool = True) -> tuple[Scene, VoiceConfig]:
    s = scene(balance_minor=balance_minor, rate_minor=200)
    s.listing.extension = "123"
    s.listing.save(update_fields=["extension"])
    client_set_pin(account=s.client, pin=PIN)
    legal_documents_start(platform=s.platform)
    if waiver:  # § 356 BGB: given on the account page before the first call
        withdrawal_waiver_ensure(user=s.client.user, platform=s.platform, given=True, ip=None)
    config = VoiceConfig.objects.create(
        platform=s.platform, phone_number="+4930999", auth_token=TOKEN
    )
    return s, config


def twiml_of(response: Any) -> str:
    return bytes(response.content).decode()


def test_pin_path_dials_with_the_paid_time_limit_and_settles_once() -> None:
    s, config = voice_setup(balance_minor=500)
    phone = Phone(config, "CA-happy")
    assert "Kundennummer" in twiml_of(phone.post("incoming"))
    assert "PIN" in twiml_of(phone.post("customer", Digits=s.client.customer_number))
    assert "Durchwahl" in twiml_of(phone.post("pin", Digits=PIN))
    dial = twiml_of(phone.post("extension", Digits="123"))
    assert "2,00 Euro pro Minute" in dial
    assert "reicht für 2 Minuten" in dial
    assert 'timeLimit="150"' in dial
    assert s.partner.phone_number in dial
    assert "statusCallback" in dial
    consultation = Consultation.objects.get(client=s.client)
    assert (consultation.channel, consultation.status) == ("phone", "live")

    done = twiml_of(phone.post("dial", DialCallStatus="completed", DialCallDuration="95"))
    assert "3,17 Euro" in done  # 95 s at 2.00 €/min = 316.66… ct
    transfers = Transfer.objects.count()
    # Replayed dial action and the partner leg's status callback book nothing more.
    assert twiml_of(phone.post("dial", DialCallStatus="completed", DialCallDuration="95")) == done
    leg = Phone(config, "CA-partner-leg")
    response = leg.post(
        "status", ParentCallSid="CA-happy", CallStatus="completed", CallDuration="97"
    )
    assert response.status_code == 200
    assert Transfer.objects.count() == transfers
    consultation.refresh_from_db()
    assert (consultation.status, consultation.duration_seconds, consultation.amount_minor) == (
        "settled",
        95,
        317,
    )
    assert wallet_available(s.client) == 183
    assert_ledger_sound()


def test_caller_id_path_skips_the_pin_and_duration_is_capped() -> None:
    s, config = voice_setup(balance_minor=500)
    s.client.phone_number = "+491511234567"
    s.client.save(update_fields=["phone_number"])
    phone = Phone(config, "CA-callerid", caller="+491511234567")
    assert "Durchwahl" in twiml_of(phone.post("incoming"))
    assert 'timeLimit="150"' in twiml_of(phone.post("extension", Digits="123"))
    # The switch reports more than the limit: billed at most the paid seconds.
    phone.post("status", CallStatus="completed", CallDuration="200")
    consultation = Consultation.objects.get(client=s.client)
    assert (consultation.duration_seconds, consultation.amount_minor) == (150, 500)
    assert wallet_available(s.client) == 0
    assert_ledger_sound()


def test_three_wrong_pins_end_politely() -> None:
    s, config = voice_setup()
    phone = Phone(config, "CA-wrong")
    phone.post("incoming")
    for attempt in range(3):
        phone.post("customer", Digits=s.client.customer_number)
        body = twiml_of(phone.post("pin", Digits="0000"))
        if attempt < 2:
            assert "nicht richtig" in body
    assert "<Hangup" in body
    assert "Auf Wiederhören" in body
    assert VoiceCall.objects.get(call_sid="CA-wrong").wrong_pins == 3
    assert not Consultation.objects.exists()


def test_exhausted_balance_is_announced_and_nothing_is_booked() -> None:
    s, config = voice_setup(balance_minor=2)
    transfers = Transfer.objects.count()
    phone = Phone(config, "CA-poor")
    phone.post("incoming")
    phone.post("customer", Digits=s.client.customer_number)
    phone.post("pin", Digits=PIN)
    body = twiml_of(phone.post("extension", Digits="123"))
    assert "Guthaben reicht" in body
    assert "<Hangup" in body
    assert Transfer.objects.count() == transfers
    assert_ledger_sound()


def test_unanswered_dial_costs_nothing() -> None:
    s, config = voice_setup()
    phone = Phone(config, "CA-noanswer")
    phone.post("incoming")
    phone.post("customer", Digits=s.client.customer_number)
    phone.post("pin", Digits=PIN)
    phone.post("extension", Digits="123")
    assert "nicht abgenommen" in twiml_of(phone.post("dial", DialCallStatus="no-answer"))
    assert wallet_available(s.client) == 500
    assert_ledger_sound()


def test_forged_unknown_and_unsigned_requests_are_refused() -> None:
    s, config = voice_setup()
    phone = Phone(config, "CA-forged")
    forged = phone.post("incoming", token="wrong-token")
    assert forged.status_code == 403
    assert forged.json()["code"] == "invalid_signature"
    unsigned = Client().post(phone.url("incoming"), {"CallSid": "CA-x"})
    assert unsigned.status_code == 403
    assert not VoiceCall.objects.exists()
    unknown = Phone(config, "CA-never-seen").post(
        "status", CallStatus="completed", CallDuration="30"
    )
    assert unknown.status_code == 404
    assert unknown.json()["code"] == "unknown_call"
    assert Phone(config, "CA-never-seen").post("pin", Digits=PIN).status_code == 404
    other = VoiceConfig(pk=None, platform=s.platform, auth_token=TOKEN)
    other.pk = "00000000-0000-0000-0000-000000000000"
    assert Phone(other, "CA-y").post("incoming").status_code == 404


def test_no_phone_consultation_before_the_withdrawal_waiver_then_after_it() -> None:
    """§ 356 Abs. 4/5 BGB holds for calls as for chats: without the client's request for
    an immediate start the call ends before anything is held; once given on the account
    page, the next call is connected."""
    s, config = voice_setup(balance_minor=500, waiver=False)
    phone = Phone(config, "CA-no-waiver")
    phone.post("incoming")
    phone.post("customer", Digits=s.client.customer_number)
    phone.post("pin", Digits=PIN)
    refused = twiml_of(phone.post("extension", Digits="123"))
    assert "Mein Konto" in refused
    assert "Widerrufsrecht" in refused
    assert "<Hangup" in refused
    assert "<Dial" not in refused
    assert not Consultation.objects.exists()
    assert wallet_available(s.client) == 500

    browser = Client(HTTP_HOST=f"{s.platform.slug}.localhost")
    browser.force_login(s.client.user)
    page = browser.get("/konto/").content.decode()
    assert 'action="/konto/sofortbeginn/"' in page
    assert 'name="withdrawal_waiver"' in page
    unticked = browser.post("/konto/sofortbeginn/", {}, follow=True)
    assert "Bitte bestätigen Sie" in unticked.content.decode()
    assert not Consent.objects.filter(purpose=Consent.Purpose.WITHDRAWAL_WAIVER).exists()
    given = browser.post(
        "/konto/sofortbeginn/", {"withdrawal_waiver": "on"}, REMOTE_ADDR="198.51.100.9", follow=True
    )
    assert "Ihre Bestätigung ist gespeichert" in given.content.decode()
    assert 'action="/konto/sofortbeginn/"' not in given.content.decode()
    waiver = Consent.objects.get(purpose=Consent.Purpose.WITHDRAWAL_WAIVER)
    assert (waiver.user_id, waiver.document.kind, waiver.ip) == (
        s.client.user_id,
        "withdrawal",
        "198.51.100.9",
    )

    again = Phone(config, "CA-with-waiver")
    again.post("incoming")
    again.post("customer", Digits=s.client.customer_number)
    again.post("pin", Digits=PIN)
    assert "<Dial" in twiml_of(again.post("extension", Digits="123"))
    assert Consultation.objects.filter(client=s.client, channel="phone").count() == 1
