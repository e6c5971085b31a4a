"""Voice webhooks under /hooks/voice/<config-id>/<step>/: verify, call one step, answer
TwiML. Every request is verified with Twilio's RequestValidator on the full URL and
the POST parameters; a forged or unsigned request gets 403 and changes nothing."""

from __future__ import annotations

import uuid

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from twilio.request_validator import RequestValidator

from sprechzeit.consultations.errors import InvalidSignature, UnknownCall
from sprechzeit.consultations.models import VoiceConfig
from sprechzeit.consultations.telephony import voice

STEPS = {"incoming", "customer", "pin", "extension", "dial", "status"}
AGAIN = {"again-customer", "again-pin", "again-extension"}


def _twiml(body: object) -> HttpResponse:
    return HttpResponse(str(body), content_type="application/xml; charset=utf-8")


def _error(error: InvalidSignature | UnknownCall, status: int) -> JsonResponse:
    return JsonResponse(error.as_dict(), status=status)


@csrf_exempt
@require_POST
def voice_webhook(request: HttpRequest, config_id: uuid.UUID, step: str) -> HttpResponse:
    config = (
        VoiceConfig.objects.select_related("platform").filter(pk=config_id, is_active=True).first()
    )
    if config is None or (step not in STEPS and step not in AGAIN):
        return _error(UnknownCall("Unbekannter Telefonzugang.", config=str(config_id)), 404)
    params = {key: request.POST.get(key, "") for key in request.POST}
    signature = request.headers.get("X-Twilio-Signature", "")
    url = request.build_absolute_uri()
    if not signature or not RequestValidator(config.auth_token).validate(url, params, signature):
        return _error(InvalidSignature(), 403)
    try:
        if step == "incoming":
            return _twiml(voice.voice_incoming(config=config, params=params))
        if step in AGAIN:
            return _twiml(
                voice.voice_again(config=config, params=params, step=step.removeprefix("again-"))
            )
        if step == "customer":
            return _twiml(voice.voice_customer(config=config, params=params))
        if step == "pin":
            return _twiml(voice.voice_pin(config=config, params=params))
        if step == "extension":
            return _twiml(voice.voice_extension(config=config, params=params))
        if step == "dial":
            return _twiml(voice.voice_dial_done(config=config, params=params))
        consultation = voice.voice_status(config=config, params=params)
        return JsonResponse({"consultation": str(consultation.pk), "status": consultation.status})
    except UnknownCall as exc:
        return _error(exc, 404)
