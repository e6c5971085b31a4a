"""The server's cut-off of phone consultations through Twilio's REST API.

A voice configuration with REST credentials (account SID + the auth token that also
verifies the webhooks) connects calls with the platform's maximum length as `<Dial
timeLimit>` (the safety net) and lets the server end them at the paid second: the
Celery task `phone_cut_off` fires at the paid end, re-checks the consultation and then

- extended meanwhile (a top-up): schedules itself at the new paid end;
- ended (the call's callback came first): does nothing;
- still due: tries one more extension, else replaces the call's TwiML with a polite
  announcement and `<Hangup/>` (`calls(<parent CallSid>).update(twiml=…)`).

The money is settled by the call's status callback with the reported duration (never
more than held; repeats book once), exactly as without REST credentials; the reaper
ends a call whose callback never comes at the paid seconds.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

import requests
from django.utils import translation
from django.utils.translation import gettext as _
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client
from twilio.twiml.voice_response import VoiceResponse

from sprechzeit.consultations import services
from sprechzeit.consultations.models import Consultation, VoiceCall, VoiceConfig
from sprechzeit.core import clock

logger = logging.getLogger(__name__)

REST_TIMEOUT_SECONDS: Final = 10
# A failed hang-up is retried this often …
RETRY_SECONDS: Final = 10
# … for this long after the paid end; then the reaper's safety net takes over.
RETRY_WINDOW: Final = timedelta(minutes=10)

Status = Consultation.Status


@dataclass(frozen=True, slots=True)
class CutOffOutcome:
    """What the cut-off task did: `rescheduled` (not due: run again at `next_at`),
    `hung_up`, `retry` (the REST call failed: again at `next_at`) or `nothing`."""

    action: str
    next_at: datetime | None = None


def paid_end(consultation: Consultation) -> datetime:
    assert consultation.started_at is not None
    return consultation.started_at + timedelta(seconds=consultation.paid_seconds)


def rest_client(config: VoiceConfig) -> Client:
    """Twilio's REST client for `config` (its account SID and auth token), with a
    timeout so a hanging API never blocks a worker."""
    return Client(
        config.account_sid,
        config.auth_token,
        http_client=TwilioHttpClient(timeout=REST_TIMEOUT_SECONDS),
    )


def announcement(consultation: Consultation) -> str:
    """The TwiML that ends the call: the reason in German, then in English, hang up."""
    max_reached = consultation.paid_seconds >= consultation.max_duration_seconds
    response = VoiceResponse()
    for language, voice_language in (("de", "de-DE"), ("en", "en-GB")):
        with translation.override(language):
            text = (
                _("Die Höchstdauer des Gesprächs ist erreicht. Vielen Dank und auf Wiederhören.")
                if max_reached
                else _(
                    "Ihr Guthaben ist aufgebraucht, das Gespräch wird jetzt beendet. Sie können es "
                    "auf unserer Website aufladen. Vielen Dank und auf Wiederhören."
                )
            )
        response.say(text, language=voice_language)
    response.hangup()
    return str(response)


def call_hang_up(*, config: VoiceConfig, call_sid: str, twiml: str) -> None:
    """Replace what the call does now (the `<Dial>`) with `twiml`. Raises Twilio's and
    requests' errors."""
    rest_client(config).calls(call_sid).update(twiml=twiml)


def phone_cut_off_check(
    *, consultation_id: uuid.UUID | str, now: datetime | None = None
) -> CutOffOutcome:
    """Run when a phone consultation's paid time should be over (the Celery task and
    the reaper). Idempotent; see the module docstring for what it does."""
    moment = now or clock.now()
    call = (
        VoiceCall.objects.select_related("config", "consultation")
        .filter(consultation_id=consultation_id)
        .first()
    )
    if (
        call is None
        or call.consultation is None
        or not call.server_cut_off
        or call.hung_up_at is not None
        or call.step != VoiceCall.Step.CONNECTED
    ):
        return CutOffOutcome("nothing")
    consultation = call.consultation
    if consultation.status == Status.LIVE:
        end = paid_end(consultation)
        if moment < end:
            return CutOffOutcome("rescheduled", end)
        # The last chance for a top-up the signal missed (the call still runs).
        consultation = services.consultation_extend(consultation=consultation, now=end)
        end = paid_end(consultation)
        if moment < end:
            return CutOffOutcome("rescheduled", end)
    elif consultation.status not in (Status.ENDED, Status.SETTLED):
        return CutOffOutcome("nothing")  # pragma: no cover - a connected call is live or over
    return _hang_up(call, consultation, moment)


def _hang_up(call: VoiceCall, consultation: Consultation, moment: datetime) -> CutOffOutcome:
    try:
        call_hang_up(config=call.config, call_sid=call.call_sid, twiml=announcement(consultation))
    except TwilioRestException as exc:
        if 400 <= exc.status < 500 and exc.status != 429:
            # Twilio refuses: the call is not in progress any more (its completion
            # callback settles it). Nothing left to hang up.
            logger.warning("call %s could not be hung up: %s", call.call_sid, exc)
            VoiceCall.objects.filter(pk=call.pk, hung_up_at__isnull=True).update(hung_up_at=moment)
            return CutOffOutcome("nothing")
        return _retry(call, consultation, moment, exc)
    except (TwilioException, requests.RequestException) as exc:
        return _retry(call, consultation, moment, exc)
    VoiceCall.objects.filter(pk=call.pk, hung_up_at__isnull=True).update(hung_up_at=moment)
    return CutOffOutcome("hung_up")


def _retry(
    call: VoiceCall, consultation: Consultation, moment: datetime, exc: Exception
) -> CutOffOutcome:
    if consultation.started_at is not None and moment > paid_end(consultation) + RETRY_WINDOW:
        logger.error("giving up hanging up call %s: %s", call.call_sid, exc)
        return CutOffOutcome("nothing")
    logger.warning("hanging up call %s failed, retrying: %s", call.call_sid, exc)
    return CutOffOutcome("retry", moment + timedelta(seconds=RETRY_SECONDS))


def phone_calls_reap(*, now: datetime | None = None) -> int:
    """The reaper's part for calls the server cuts off: every connected call whose
    paid time is over (live and overdue, or already ended in the books) without a
    completion callback and not yet hung up is cut off now. Returns how many were
    hung up."""
    moment = now or clock.now()
    hung_up = 0
    calls = VoiceCall.objects.filter(
        server_cut_off=True,
        hung_up_at__isnull=True,
        step=VoiceCall.Step.CONNECTED,
        consultation__status__in=[Status.LIVE, Status.ENDED, Status.SETTLED],
    )
    for consultation_id in calls.values_list("consultation_id", flat=True):
        try:
            outcome = phone_cut_off_check(consultation_id=consultation_id, now=moment)
        except Exception:
            logger.exception("reaping the call of consultation %s failed", consultation_id)
            continue
        hung_up += outcome.action == "hung_up"
    return hung_up
