"""Video consultations' media: the ICE servers (STUN/TURN) a participant's browser gets,
with time-limited TURN credentials, and the checks of the signalling frames the room
socket relays between the two participants.

TURN credentials follow the shared-secret REST scheme that coturn implements
(`use-auth-secret` + `static-auth-secret`): username = "<expiry-unix>:<id>", credential =
base64(HMAC-SHA1(secret, username)). coturn recomputes the HMAC and refuses a username
whose expiry has passed; nothing is stored. They are issued only by
`ice_servers_for(user=…)`, which refuses everyone but the consultation's client and
partner, and only for a video consultation that is requested or live.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime
from typing import Final, TypedDict

from django.conf import settings

from sprechzeit.accounts.models import User
from sprechzeit.consultations.errors import InvalidMessage, InvalidTransition
from sprechzeit.consultations.models import Consultation
from sprechzeit.consultations.protocol import IceServer, MediaInfo, Role
from sprechzeit.consultations.selectors import consultation_for_user

# What a browser may relay to its peer (`signal` frames); nothing else passes.
SIGNAL_KINDS: Final = frozenset({"ready", "offer", "answer", "ice", "hangup"})
MAX_NEGOTIATION_ID: Final = 2**31
# An SDP of two tracks is a few kilobytes; anything far larger is refused.
MAX_SDP_CHARS: Final = 32_000
MAX_CANDIDATE_CHARS: Final = 2_000
# Why a browser gave up on the media (`media.fallback`): the browser refused the
# camera/microphone, there is no device, the connection could not be made or was lost.
FALLBACK_REASONS: Final = frozenset({"denied", "no_device", "failed", "unsupported"})


@dataclass(frozen=True, slots=True)
class TurnCredential:
    username: str
    credential: str
    expires_at: int  # unix seconds


def turn_credential(*, secret: str, subject: str, expires_at: int) -> TurnCredential:
    """coturn's REST scheme: the username carries its own expiry, the credential is the
    base64 HMAC-SHA1 of the username under the shared secret."""
    username = f"{expires_at}:{subject}"
    digest = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    return TurnCredential(
        username=username,
        credential=base64.b64encode(digest).decode("ascii"),
        expires_at=expires_at,
    )


def turn_credential_valid(*, secret: str, username: str, credential: str, now: int) -> bool:
    """What coturn checks (for tests and operators): the HMAC matches and the expiry in
    the username lies in the future."""
    expiry, _, subject = username.partition(":")
    if not expiry.isdigit() or int(expiry) <= now:
        return False
    expected = turn_credential(secret=secret, subject=subject, expires_at=int(expiry))
    return hmac.compare_digest(expected.credential, credential)


def ice_servers(*, consultation: Consultation, role: Role, now: datetime) -> MediaInfo:
    """The installation's STUN servers and, with a TURN secret, its TURN servers with a
    credential for this participant that expires `WEBRTC_TURN_TTL_SECONDS` from now."""
    servers: list[IceServer] = []
    stun: list[str] = list(settings.WEBRTC_STUN_URLS)
    if stun:
        servers.append({"urls": stun})
    turn: list[str] = list(settings.WEBRTC_TURN_URLS)
    secret: str | None = settings.WEBRTC_TURN_SECRET
    expires_at: int | None = None
    if turn and secret:
        expires_at = int(now.timestamp()) + int(settings.WEBRTC_TURN_TTL_SECONDS)
        subject = f"{consultation.pk.hex}-{role}"
        token = turn_credential(secret=secret, subject=subject, expires_at=expires_at)
        servers.append({"urls": turn, "username": token.username, "credential": token.credential})
    return {"ice_servers": servers, "expires_at": expires_at}


def ice_servers_for(*, consultation_id: str, user: User, now: datetime) -> MediaInfo:
    """The ICE servers for a participant of an open video consultation; `NotParticipant`
    for anyone else, `InvalidTransition` when it is not (or no longer) a video call."""
    participation = consultation_for_user(consultation_id=consultation_id, user=user)
    consultation = participation.consultation
    if not video_open(consultation):
        raise InvalidTransition()
    return ice_servers(consultation=consultation, role=participation.role, now=now)


def video_open(consultation: Consultation) -> bool:
    """The media may run: a video consultation, requested or live, not fallen back."""
    return (
        consultation.channel == Consultation.Channel.VIDEO
        and consultation.status in Consultation.OPEN
        and consultation.media_fallback_at is None
    )


class SignalPayload(TypedDict, total=False):
    kind: str
    id: int
    sdp: str
    candidate: dict[str, object] | None


def signal_clean(content: dict[str, object]) -> SignalPayload:
    """The relayable part of a browser's `signal` frame; `InvalidMessage` for anything
    else (unknown kind, an SDP or candidate that is not a bounded string)."""
    kind = content.get("kind")
    if kind not in SIGNAL_KINDS:
        raise InvalidMessage(field="kind")
    payload: SignalPayload = {"kind": str(kind)}
    negotiation = content.get("id")
    if negotiation is not None:
        if not isinstance(negotiation, int) or not 0 <= negotiation < MAX_NEGOTIATION_ID:
            raise InvalidMessage(field="id")
        payload["id"] = negotiation
    if kind in ("offer", "answer"):
        sdp = content.get("sdp")
        if not isinstance(sdp, str) or not 0 < len(sdp) <= MAX_SDP_CHARS:
            raise InvalidMessage(field="sdp")
        payload["sdp"] = sdp
    elif kind == "ice":
        candidate = content.get("candidate")
        if candidate is None:  # the end of the candidates
            payload["candidate"] = None
        else:
            if not isinstance(candidate, dict):
                raise InvalidMessage(field="candidate")
            text = candidate.get("candidate")
            if not isinstance(text, str) or len(text) > MAX_CANDIDATE_CHARS:
                raise InvalidMessage(field="candidate")
            mid = candidate.get("sdpMid")
            index = candidate.get("sdpMLineIndex")
            payload["candidate"] = {
                "candidate": text,
                "sdpMid": mid if isinstance(mid, str) and len(mid) <= 64 else None,
                "sdpMLineIndex": index if isinstance(index, int) and 0 <= index < 64 else None,
            }
    return payload
