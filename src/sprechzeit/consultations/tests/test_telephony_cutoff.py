"""Phone consultations the server cuts off (Twilio REST credentials on the voice
configuration): `<Dial timeLimit>` is the maximum length, the paid time counts from the
partner's answer, a top-up extends the call, the cut-off task hangs up through the REST
API at the paid second, the status callback settles. Twilio's HTTP transport is mocked
with `responses`; every webhook is signed with `RequestValidator`; the clock is frozen."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from io import StringIO
from typing import Any
from urllib.parse import parse_qs

import pytest
import responses
from django.core.cache import cache
from django.core.management import call_command

from sprechzeit.consultations import tasks
from sprechzeit.consultations.models import (
    Consultation,
    PlatformTariffPolicy,
    VoiceCall,
    VoiceConfig,
)
from sprechzeit.consultations.services import consultations_reap
from sprechzeit.consultations.telephony import cutoff
from sprechzeit.consultations.tests.factories import Scene, top_up, wallet_available
from sprechzeit.consultations.tests.test_telephony import PIN, Phone, twiml_of, voice_setup
from sprechzeit.core import clock
from sprechzeit.ledger.models import Transfer
from sprechzeit.ledger.tests.helpers import assert_ledger_sound

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
API = "https://api.twilio.com/2010-04-01"


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


@pytest.fixture(autouse=True)
def frozen() -> Iterator[clock.FrozenClock]:
    cache.clear()
    with clock.frozen_at(T0) as frozen_clock:
        yield frozen_clock


@pytest.fixture
def scheduled(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, datetime]]:
    """A worker runs tasks (not eager); `apply_async` is recorded instead of sent."""
    recorded: list[tuple[str, datetime]] = []
    monkeypatch.setattr(tasks, "server_cut_off_available", lambda: True)

    def apply_async(*, args: tuple[str], eta: datetime) -> None:
        recorded.append((args[0], eta))

    monkeypatch.setattr(tasks.phone_cut_off, "apply_async", apply_async)
    return recorded


@pytest.fixture
def twilio() -> Iterator[responses.RequestsMock]:
    """Twilio's REST API at the transport: any request not registered fails the test."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mocked:
        yield mocked


def hang_up_url(call_sid: str) -> str:
    return f"{API}/Accounts/{ACCOUNT_SID}/Calls/{call_sid}.json"


def register_hang_up(twilio: responses.RequestsMock, call_sid: str, status: int = 200) -> None:
    body: dict[str, Any] = (
        {"sid": call_sid, "account_sid": ACCOUNT_SID, "status": "in-progress"}
        if status == 200
        else {"code": 20500, "message": "Internal Server Error", "status": status}
    )
    twilio.add(responses.POST, hang_up_url(call_sid), json=body, status=status)


def rest_setup(balance_minor: int = 500) -> tuple[Scene, VoiceConfig]:
    s, config = voice_setup(balance_minor=balance_minor)
    config.account_sid = ACCOUNT_SID
    config.save(update_fields=["account_sid"])
    return s, config


def connect(s: Scene, config: VoiceConfig, call_sid: str) -> tuple[Phone, str]:
    phone = Phone(config, call_sid)
    phone.post("incoming")
    phone.post("customer", Digits=s.client.customer_number)
    phone.post("pin", Digits=PIN)
    return phone, twiml_of(phone.post("extension", Digits="123"))


def run_task(consultation: Consultation) -> str:
    """What the worker does when the ETA comes."""
    result: str = tasks.phone_cut_off.run(str(consultation.pk))
    return result


def test_a_top_up_extends_a_live_call_and_the_server_cuts_it_off_at_the_paid_second(
    frozen: clock.FrozenClock,
    scheduled: list[tuple[str, datetime]],
    twilio: responses.RequestsMock,
    django_capture_on_commit_callbacks: Any,
) -> None:
    s, config = rest_setup(balance_minor=500)
    _phone, dial = connect(s, config, "CA-extend")
    # The maximum length is Twilio's safety net; the price and paid minutes are announced.
    assert 'timeLimit="7200"' in dial
    assert "reicht für 2 Minuten" in dial
    assert 'statusCallbackEvent="answered completed"' in dial
    consultation = Consultation.objects.get(client=s.client)
    call = VoiceCall.objects.get(call_sid="CA-extend")
    assert call.server_cut_off
    assert scheduled == [(str(consultation.pk), at(150))]

    # The partner answers at 10 s: the paid 150 s count from there (until 160 s).
    frozen.set(at(10))
    leg = Phone(config, "CA-extend-leg")
    answered = leg.post("status", ParentCallSid="CA-extend", CallStatus="in-progress")
    assert answered.status_code == 200
    assert answered.json()["status"] == "live"
    leg.post("status", ParentCallSid="CA-extend", CallStatus="in-progress")  # repeated
    consultation.refresh_from_db()
    assert consultation.started_at == at(10)

    # The task scheduled at the dial fires at 150 s: not due, runs again at 160 s.
    frozen.set(at(150))
    assert run_task(consultation) == "rescheduled"
    assert scheduled[-1] == (str(consultation.pk), at(160))

    # A top-up at paid second 147: the call is extended at once, without interruption.
    frozen.set(at(157))
    with django_capture_on_commit_callbacks(execute=True):
        top_up(client=s.client, minor=1000)
    consultation.refresh_from_db()
    assert (consultation.held_minor, consultation.paid_seconds) == (1500, 450)
    frozen.set(at(160))
    assert run_task(consultation) == "rescheduled"
    assert scheduled[-1] == (str(consultation.pk), at(460))
    assert len(twilio.calls) == 0  # nothing was hung up

    # At the new paid end the server hangs up through the REST API, politely.
    register_hang_up(twilio, "CA-extend")
    frozen.set(at(460))
    assert run_task(consultation) == "hung_up"
    assert len(twilio.calls) == 1
    request = twilio.calls[0].request
    assert request.method == "POST"
    assert request.url == hang_up_url("CA-extend")
    form = parse_qs(str(request.body))
    assert list(form) == ["Twiml"]
    consultation.refresh_from_db()
    assert form["Twiml"] == [cutoff.announcement(consultation)]
    twiml = form["Twiml"][0]
    assert twiml.startswith(
        '<?xml version="1.0" encoding="UTF-8"?><Response><Say language="de-DE">'
    )
    assert "Ihr Guthaben ist aufgebraucht" in twiml
    assert '<Say language="en-GB">' in twiml
    assert twiml.endswith("<Hangup /></Response>")
    assert VoiceCall.objects.get(pk=call.pk).hung_up_at == at(460)
    assert run_task(consultation) == "nothing"  # a second firing does nothing
    assert len(twilio.calls) == 1

    # Twilio reports the partner leg: billed the longer time, never more than held.
    frozen.set(at(461))
    leg.post("status", ParentCallSid="CA-extend", CallStatus="completed", CallDuration="451")
    transfers = Transfer.objects.count()
    leg.post("status", ParentCallSid="CA-extend", CallStatus="completed", CallDuration="451")
    assert Transfer.objects.count() == transfers
    consultation.refresh_from_db()
    assert (consultation.status, consultation.duration_seconds, consultation.amount_minor) == (
        "settled",
        450,
        1500,
    )
    assert consultation.ended_at == at(460)
    assert wallet_available(s.client) == 0
    assert_ledger_sound()


def test_a_call_that_ends_before_the_cut_off_is_left_alone(
    frozen: clock.FrozenClock,
    scheduled: list[tuple[str, datetime]],
    twilio: responses.RequestsMock,
) -> None:
    s, config = rest_setup(balance_minor=500)
    phone, _dial = connect(s, config, "CA-short")
    frozen.set(at(60))
    done = twiml_of(phone.post("dial", DialCallStatus="completed", DialCallDuration="60"))
    assert "2,00 Euro" in done
    consultation = Consultation.objects.get(client=s.client)
    frozen.set(at(150))
    assert run_task(consultation) == "nothing"
    assert len(twilio.calls) == 0
    assert wallet_available(s.client) == 300
    assert_ledger_sound()


def test_maximum_length_is_announced_as_such(
    frozen: clock.FrozenClock,
    scheduled: list[tuple[str, datetime]],
    twilio: responses.RequestsMock,
) -> None:
    s, config = rest_setup(balance_minor=5000)
    PlatformTariffPolicy.objects.update_or_create(
        platform=s.platform, defaults={"max_duration_seconds": 120}
    )
    _phone, dial = connect(s, config, "CA-max")
    assert 'timeLimit="120"' in dial
    consultation = Consultation.objects.get(client=s.client)
    register_hang_up(twilio, "CA-max")
    frozen.set(at(120))
    assert run_task(consultation) == "hung_up"
    twiml = parse_qs(str(twilio.calls[0].request.body))["Twiml"][0]
    assert "Höchstdauer" in twiml
    assert "Guthaben" not in twiml


def test_a_failing_rest_api_is_retried_and_a_finished_call_is_not(
    frozen: clock.FrozenClock,
    scheduled: list[tuple[str, datetime]],
    twilio: responses.RequestsMock,
) -> None:
    s, config = rest_setup(balance_minor=500)
    connect(s, config, "CA-flaky")
    consultation = Consultation.objects.get(client=s.client)
    register_hang_up(twilio, "CA-flaky", status=503)
    frozen.set(at(150))
    assert run_task(consultation) == "retry"
    assert scheduled[-1] == (str(consultation.pk), at(160))
    assert VoiceCall.objects.get(call_sid="CA-flaky").hung_up_at is None
    # Twilio: the call is not in progress any more. Nothing left to hang up.
    twilio.replace(
        responses.POST,
        hang_up_url("CA-flaky"),
        json={"code": 21220, "message": "Call is not in-progress.", "status": 400},
        status=400,
    )
    frozen.set(at(160))
    assert run_task(consultation) == "nothing"
    assert VoiceCall.objects.get(call_sid="CA-flaky").hung_up_at == at(160)
    assert len(twilio.calls) == 2
    # Its completion callback was lost: the reaper settles at the paid seconds.
    frozen.set(at(200))
    assert consultations_reap(now=at(200)).ended == 1
    consultation.refresh_from_db()
    assert (consultation.status, consultation.end_reason, consultation.amount_minor) == (
        "settled",
        "reaper",
        500,
    )
    assert_ledger_sound()


def test_the_reaper_cuts_an_overdue_call_whose_task_never_ran(
    frozen: clock.FrozenClock,
    scheduled: list[tuple[str, datetime]],
    twilio: responses.RequestsMock,
) -> None:
    s, config = rest_setup(balance_minor=500)
    connect(s, config, "CA-lost-task")
    consultation = Consultation.objects.get(client=s.client)
    # Within the paid time the reaper neither hangs up nor ends the call (no heartbeats
    # on the phone: that is not a lost connection).
    frozen.set(at(120))
    assert cutoff.phone_calls_reap(now=at(120)) == 0
    assert consultations_reap(now=at(120)).ended == 0
    register_hang_up(twilio, "CA-lost-task")
    frozen.set(at(185))
    result = tasks.reap.run()
    assert (result["hung_up"], result["ended"]) == (1, 1)
    assert twilio.calls[0].request.url == hang_up_url("CA-lost-task")
    consultation.refresh_from_db()
    assert (consultation.status, consultation.duration_seconds, consultation.amount_minor) == (
        "settled",
        150,
        500,
    )
    # The late callback books nothing more.
    transfers = Transfer.objects.count()
    Phone(config, "CA-leg").post(
        "status", ParentCallSid="CA-lost-task", CallStatus="completed", CallDuration="178"
    )
    assert Transfer.objects.count() == transfers
    assert tasks.reap.run()["hung_up"] == 0
    assert_ledger_sound()


def test_without_rest_credentials_the_call_is_limited_to_the_paid_time_and_not_extended(
    frozen: clock.FrozenClock,
    scheduled: list[tuple[str, datetime]],
    twilio: responses.RequestsMock,
    django_capture_on_commit_callbacks: Any,
) -> None:
    s, config = voice_setup(balance_minor=500)
    phone, dial = connect(s, config, "CA-classic")
    assert 'timeLimit="150"' in dial
    assert scheduled == []
    assert not VoiceCall.objects.get(call_sid="CA-classic").server_cut_off
    frozen.set(at(147))
    with django_capture_on_commit_callbacks(execute=True):
        top_up(client=s.client, minor=1000)
    consultation = Consultation.objects.get(client=s.client)
    assert (consultation.paid_seconds, consultation.held_minor) == (150, 500)
    frozen.set(at(151))
    phone.post("dial", DialCallStatus="completed", DialCallDuration="150")
    consultation.refresh_from_db()
    assert (consultation.amount_minor, wallet_available(s.client)) == (500, 1000)
    assert len(twilio.calls) == 0
    assert_ledger_sound()


def test_without_a_worker_rest_credentials_fall_back_to_the_paid_time_limit(
    twilio: responses.RequestsMock,
) -> None:
    # Tests run tasks eagerly, like the demo: an ETA cannot be kept.
    assert tasks.phone_cut_off.app.conf.task_always_eager
    s, config = rest_setup(balance_minor=500)
    _phone, dial = connect(s, config, "CA-eager")
    assert 'timeLimit="150"' in dial
    assert not VoiceCall.objects.get(call_sid="CA-eager").server_cut_off


def test_an_unanswered_leg_status_does_not_end_the_call(
    scheduled: list[tuple[str, datetime]],
) -> None:
    s, config = rest_setup(balance_minor=500)
    connect(s, config, "CA-ringing")
    leg = Phone(config, "CA-ringing-leg")
    assert leg.post("status", ParentCallSid="CA-ringing", CallStatus="ringing").json() == {
        "consultation": str(Consultation.objects.get(client=s.client).pk),
        "status": "live",
    }
    busy = leg.post("status", ParentCallSid="CA-ringing", CallStatus="busy")
    assert busy.json()["status"] == "settled"
    assert wallet_available(s.client) == 500
    assert_ledger_sound()


def test_the_reap_command_cuts_off_overdue_calls_too(
    frozen: clock.FrozenClock,
    scheduled: list[tuple[str, datetime]],
    twilio: responses.RequestsMock,
) -> None:
    s, config = rest_setup(balance_minor=500)
    connect(s, config, "CA-command")
    register_hang_up(twilio, "CA-command")
    frozen.set(at(185))
    out = StringIO()
    call_command("consultations_reap", stdout=out)
    assert out.getvalue().strip() == "missed=0 ended=1 settled=0 hung_up=1"
    assert twilio.calls[0].request.url == hang_up_url("CA-command")
    assert_ledger_sound()
