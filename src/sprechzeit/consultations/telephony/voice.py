"""The voice flow of a phone consultation, one function per webhook step.

Each step takes the verified webhook parameters, moves the call's state (`VoiceCall`)
and answers with TwiML. The consultation itself goes through the same services as a
chat: `consultation_request` + `consultation_accept` when the partner is dialled (the
hold and the paid seconds), `consultation_phone_answered` when the partner answers (the
paid time counts from there), `consultation_end` when the call completes (settled like
a chat; repeated callbacks book once).

How the call is limited depends on the voice configuration: with REST credentials (and
a Celery worker) `<Dial timeLimit>` is the maximum length and the server cuts the call
off at the paid second (`telephony/cutoff.py`), so a top-up extends it; without,
`<Dial timeLimit>` is the paid seconds and the call cannot be extended.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Final

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from twilio.twiml.voice_response import Dial, Gather, VoiceResponse

from sprechzeit.accounts.models import ClientAccount, Listing
from sprechzeit.accounts.phone_pin import PinCheck, client_pin_check
from sprechzeit.consultations import services, tasks
from sprechzeit.consultations.errors import (
    ClientBlocked,
    ConsultationError,
    InsufficientBalance,
    UnknownCall,
)
from sprechzeit.consultations.models import Consultation, VoiceCall, VoiceConfig
from sprechzeit.core import clock

MAX_WRONG_PINS: Final = 3
# Call statuses that are not the end of the partner's leg.
NOT_FINAL: Final = frozenset({"queued", "initiated", "ringing", "in-progress"})
LANGUAGE: Final = "de-DE"
# Text-to-speech voices of the languages a client account may choose.
VOICES: Final = {"de": "de-DE", "en": "en-GB"}
Step = VoiceCall.Step


def _url(config: VoiceConfig, step: str) -> str:
    return reverse("consultations:voice", kwargs={"config_id": config.pk, "step": step})


def _say(response: VoiceResponse | Gather, text: str) -> None:
    response.say(text, language=LANGUAGE)


def _gather(config: VoiceConfig, step: str, prompt: str) -> VoiceResponse:
    response = VoiceResponse()
    gather = Gather(action=_url(config, step), method="POST", finish_on_key="#", timeout=10)
    _say(gather, prompt)
    response.append(gather)
    # No input: ask once more by redirecting to the same question.
    response.redirect(_url(config, f"again-{step}"), method="POST")
    return response


def _goodbye(text: str) -> VoiceResponse:
    response = VoiceResponse()
    _say(response, text)
    response.hangup()
    return response


def _pin_locked(client: ClientAccount) -> VoiceResponse:
    """The client's phone access is locked (accounts/phone_pin.py): say so in the
    account's language, with the way to unlock it, and hang up."""
    language = client.user.language if client.user.language in VOICES else "de"
    with translation.override(language):
        response = VoiceResponse()
        response.say(
            _(
                "Ihr Telefonzugang ist gesperrt, weil die PIN zu oft falsch eingegeben wurde. "
                "Sie können ihn in Ihrem Kundenkonto auf unserer Website wieder freigeben, "
                "indem Sie dort eine neue PIN festlegen. Auf Wiederhören."
            ),
            language=VOICES[language],
        )
        response.hangup()
    return response


def _euros(minor: int) -> str:
    return f"{minor // 100},{minor % 100:02d}"


def _call(config: VoiceConfig, params: Mapping[str, str]) -> VoiceCall:
    call = VoiceCall.objects.filter(config=config, call_sid=params.get("CallSid", "")).first()
    if call is None:
        raise UnknownCall(call_sid=params.get("CallSid", ""))
    return call


def voice_incoming(*, config: VoiceConfig, params: Mapping[str, str]) -> VoiceResponse:
    """A new call: known caller ID → ask for the extension; otherwise for the customer
    number (then the PIN). A repeated webhook for the same CallSid starts nothing new."""
    with translation.override("de"):
        caller = params.get("From", "")
        client = (
            ClientAccount.objects.filter(platform=config.platform, phone_number=caller).first()
            if caller
            else None
        )
        try:
            call, _created = VoiceCall.objects.get_or_create(
                call_sid=params.get("CallSid", ""),
                defaults={
                    "config": config,
                    "caller": caller[:32],
                    "client": client,
                    "step": Step.EXTENSION if client else Step.CUSTOMER,
                    "created_at": clock.now(),
                },
            )
        except IntegrityError as exc:  # pragma: no cover - a concurrent duplicate
            raise UnknownCall() from exc
        if call.step == Step.EXTENSION and call.client and call.client.phone_pin_locked_at:
            # The lock holds for calls recognised by caller ID too: a spoofed number
            # must not get round it.
            return _pin_locked(call.client)
        welcome = _("Willkommen bei %(platform)s.") % {"platform": config.platform.name}
        if call.step == Step.EXTENSION:
            return _gather(
                config,
                "extension",
                welcome
                + " "
                + _("Bitte geben Sie die Durchwahl Ihres Beraters ein, gefolgt von der Raute."),
            )
        return _gather(
            config,
            "customer",
            welcome + " " + _("Bitte geben Sie Ihre Kundennummer ein, gefolgt von der Raute."),
        )


def voice_again(*, config: VoiceConfig, params: Mapping[str, str], step: str) -> VoiceResponse:
    """Nothing was entered: ask the same question once more."""
    with translation.override("de"):
        _call(config, params)
        prompts = {
            "customer": _("Bitte geben Sie Ihre Kundennummer ein, gefolgt von der Raute."),
            "pin": _("Bitte geben Sie Ihre PIN ein, gefolgt von der Raute."),
            "extension": _(
                "Bitte geben Sie die Durchwahl Ihres Beraters ein, gefolgt von der Raute."
            ),
        }
        return _gather(config, step, prompts[step])


def voice_customer(*, config: VoiceConfig, params: Mapping[str, str]) -> VoiceResponse:
    with translation.override("de"):
        call = _call(config, params)
        call.customer_number = params.get("Digits", "")[:20]
        call.step = Step.PIN
        call.save(update_fields=["customer_number", "step"])
        return _gather(config, "pin", _("Bitte geben Sie Ihre PIN ein, gefolgt von der Raute."))


def voice_pin(*, config: VoiceConfig, params: Mapping[str, str]) -> VoiceResponse:
    """Check customer number and PIN; after three wrong tries the call ends politely.
    Wrong PINs also count on the account across calls: when they lock it (or it is
    locked), the caller hears how to unlock it and the call ends."""
    with translation.override("de"), transaction.atomic():
        call = VoiceCall.objects.select_for_update().get(pk=_call(config, params).pk)
        if call.wrong_pins >= MAX_WRONG_PINS:
            return _goodbye(_("Leider war die Eingabe mehrfach falsch. Auf Wiederhören."))
        client = ClientAccount.objects.filter(
            platform=config.platform, customer_number=call.customer_number
        ).first()
        # Counted per account across calls too; a locked account's PIN is not checked.
        outcome = (
            client_pin_check(account=client, pin=params.get("Digits", ""), call_ref=call.call_sid)
            if client is not None
            else PinCheck.WRONG
        )
        if client is not None and outcome is PinCheck.LOCKED:
            call.step = Step.DONE
            call.save(update_fields=["step"])
            return _pin_locked(client)
        if outcome is not PinCheck.OK:
            call.wrong_pins += 1
            call.step = Step.CUSTOMER
            call.save(update_fields=["wrong_pins", "step"])
            if call.wrong_pins >= MAX_WRONG_PINS:
                return _goodbye(
                    _(
                        "Leider war die Eingabe dreimal falsch. Bitte wenden Sie sich an unseren Kundendienst. Auf Wiederhören."
                    )
                )
            return _gather(
                config,
                "customer",
                _("Kundennummer oder PIN sind nicht richtig.")
                + " "
                + _("Bitte geben Sie Ihre Kundennummer ein, gefolgt von der Raute."),
            )
        call.client = client
        call.step = Step.EXTENSION
        call.save(update_fields=["client", "step"])
        return _gather(
            config,
            "extension",
            _("Danke.")
            + " "
            + _("Bitte geben Sie die Durchwahl Ihres Beraters ein, gefolgt von der Raute."),
        )


def voice_extension(*, config: VoiceConfig, params: Mapping[str, str]) -> VoiceResponse:
    """Find the listing, start the consultation (hold), announce price and minutes and
    dial the partner: with a time limit of the maximum length and the server's cut-off
    at the paid second when the configuration allows (REST credentials and a worker),
    else with a time limit of exactly the paid seconds."""
    with translation.override("de"):
        call = _call(config, params)
        if call.consultation_id is not None:
            return _goodbye(_("Dieser Anruf wurde bereits verbunden. Auf Wiederhören."))
        if call.client is None or call.step != Step.EXTENSION:
            raise UnknownCall(call_sid=call.call_sid)
        listing = (
            Listing.objects.select_related("partner", "platform")
            .filter(
                platform=config.platform,
                extension=params.get("Digits", ""),
                is_published=True,
                partner__suspended_at__isnull=True,
            )
            .first()
        )
        if listing is None:
            return _extension_wrong(config, call)
        if not listing.partner.phone_number:
            return _partner_unreachable()
        started = _consultation_start(call.client, listing)
        if isinstance(started, VoiceResponse):
            return started
        return _connect(config, call, started, listing)


def _extension_wrong(config: VoiceConfig, call: VoiceCall) -> VoiceResponse:
    """No published listing has the dialled extension: ask again, or end after too many
    wrong entries (they count with the wrong PINs of the call)."""
    call.wrong_pins += 1
    call.save(update_fields=["wrong_pins"])
    if call.wrong_pins >= MAX_WRONG_PINS:
        return _goodbye(_("Diese Durchwahl gibt es leider nicht. Auf Wiederhören."))
    return _gather(
        config,
        "extension",
        _("Diese Durchwahl gibt es leider nicht.")
        + " "
        + _("Bitte geben Sie die Durchwahl Ihres Beraters ein, gefolgt von der Raute."),
    )


def _partner_unreachable() -> VoiceResponse:
    return _goodbye(
        _(
            "Der Berater ist gerade nicht erreichbar. Bitte versuchen Sie es später. Auf Wiederhören."
        )
    )


def _consultation_start(client: ClientAccount, listing: Listing) -> Consultation | VoiceResponse:
    """Request and accept the phone consultation (the hold); a refusal is the goodbye
    the caller hears instead."""
    try:
        consultation = services.consultation_request(
            client=client, listing=listing, channel=Consultation.Channel.PHONE
        )
        return services.consultation_accept(consultation=consultation, partner=listing.partner)
    except InsufficientBalance:
        return _goodbye(
            _(
                "Ihr Guthaben reicht für dieses Gespräch leider nicht aus. Bitte laden Sie es auf unserer Website auf. Auf Wiederhören."
            )
        )
    except ClientBlocked:
        return _goodbye(
            _(
                "Ihr Konto ist gesperrt. Bitte wenden Sie sich an unseren Kundendienst. Auf Wiederhören."
            )
        )
    except ConsultationError:
        return _partner_unreachable()


def _connect(
    config: VoiceConfig, call: VoiceCall, consultation: Consultation, listing: Listing
) -> VoiceResponse:
    """Link the call to its consultation, schedule the server's cut-off where it is
    available, announce price and minutes and dial the partner."""
    server_cut_off = config.has_rest_credentials and tasks.server_cut_off_available()
    call.consultation = consultation
    call.step = Step.CONNECTED
    call.server_cut_off = server_cut_off
    call.save(update_fields=["consultation", "step", "server_cut_off"])
    if server_cut_off:
        _schedule_cut_off(consultation)
    response = VoiceResponse()
    _say(
        response,
        _(
            "Der Preis beträgt %(price)s Euro pro Minute. Ihr Guthaben reicht für %(minutes)s Minuten. Sie werden jetzt verbunden."
        )
        % {
            "price": _euros(consultation.rate_minor),
            "minutes": consultation.paid_seconds // 60,
        },
    )
    dial = Dial(
        action=_url(config, "dial"),
        method="POST",
        time_limit=(
            consultation.max_duration_seconds if server_cut_off else consultation.paid_seconds
        ),
        caller_id=config.phone_number,
    )
    dial.number(
        listing.partner.phone_number,
        status_callback=_url(config, "status"),
        status_callback_event="answered completed",
        status_callback_method="POST",
    )
    response.append(dial)
    return response


def _schedule_cut_off(consultation: Consultation) -> None:
    assert consultation.started_at is not None
    tasks.phone_cut_off_schedule(
        consultation_id=consultation.pk,
        at=consultation.started_at + timedelta(seconds=consultation.paid_seconds),
    )


def _finish(call: VoiceCall, seconds: int) -> Consultation:
    assert call.consultation is not None
    consultation = services.consultation_end(
        consultation=call.consultation,
        reason=Consultation.EndReason.CALL,
        at_second=max(0, seconds),
    )
    VoiceCall.objects.filter(pk=call.pk).update(step=Step.DONE)
    return consultation


def _seconds(raw: str | None) -> int:
    return int(raw) if raw and raw.isascii() and raw.isdigit() and len(raw) <= 9 else 0


def voice_dial_done(*, config: VoiceConfig, params: Mapping[str, str]) -> VoiceResponse:
    """`<Dial action>`: the partner's leg ended; settle the talk time (at most the paid
    seconds). A repeated callback books nothing more and answers the same."""
    with translation.override("de"):
        call = _call(config, params)
        if call.consultation is None:
            raise UnknownCall(call_sid=call.call_sid)
        answered = params.get("DialCallStatus") == "completed"
        consultation = _finish(call, _seconds(params.get("DialCallDuration")) if answered else 0)
        if not answered:
            return _goodbye(
                _("Der Berater hat nicht abgenommen. Es wurde nichts berechnet. Auf Wiederhören.")
            )
        return _goodbye(
            _("Vielen Dank. Ihr Gespräch hat %(amount)s Euro gekostet. Auf Wiederhören.")
            % {"amount": _euros(consultation.amount_minor or 0)}
        )


def voice_status(*, config: VoiceConfig, params: Mapping[str, str]) -> Consultation:
    """Status callback of the partner's leg (its own CallSid, the client's call as
    ParentCallSid). `in-progress` (answered): the paid time counts from now (the
    server's cut-off moves with it). A final status settles like the dial action;
    whichever comes first books."""
    parent = params.get("ParentCallSid") or params.get("CallSid", "")
    call = VoiceCall.objects.filter(config=config, call_sid=parent).first()
    if call is None or call.consultation is None:
        raise UnknownCall(call_sid=parent)
    status = params.get("CallStatus")
    if status == "in-progress":
        # The cut-off task scheduled at the dial re-checks and moves to the new end.
        return services.consultation_phone_answered(consultation=call.consultation)
    if status in NOT_FINAL:
        return call.consultation
    if status != "completed":
        return _finish(call, 0)
    return _finish(call, _seconds(params.get("CallDuration")))
