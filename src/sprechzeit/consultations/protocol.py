"""The WebSocket protocol of consultations as types: every frame of
`docs/websocket-protocol.md` (server → browser, browser → server) and every channel-layer
event between server processes, one `TypedDict` each.

Types only (and two tuples of names): no Django, no Channels, so the pure meter
(`consultations.meter`), the consumers, the services that push events, and the socket
drivers of the tests and the benchmark share one definition. A `TypedDict` is a plain
`dict` at run time: typing a frame costs nothing on the hot path.
"""

from __future__ import annotations

from typing import Final, Literal, TypedDict

Role = Literal["client", "partner"]
ROLES: Final[tuple[Role, Role]] = ("client", "partner")

# Close codes of the handshake.
CLOSE_BAD_REQUEST: Final = 4400
CLOSE_FORBIDDEN: Final = 4403
CLOSE_NOT_FOUND: Final = 4404


# --- states -----------------------------------------------------------------------------


class MeterState(TypedDict):
    """What both screens need to run the meter (`selectors.meter_state`)."""

    consultation: str
    status: str
    started_at: str | None
    # The paid time in metered seconds, counted from `started_at`.
    paid_seconds: int
    max_duration_seconds: int
    held_minor: int
    rate_minor: int
    increment: str  # "1/1", "60/60", "60/10"
    grace_seconds: int
    connect_fee_minor: int
    currency: str
    # The pause allowance in seconds (0: the meter never pauses).
    pause_max_seconds: int
    paused: bool
    # The wall moment the paid time runs out (start + paid seconds + counted pauses).
    cut_off_at: str | None


class EndedState(TypedDict):
    """An ended or settled consultation (`selectors.ended_state`; at a cut-off the
    socket announces it before the booking, with `billed_seconds` None)."""

    consultation: str
    status: str
    reason: str | None
    duration_seconds: int | None
    billed_seconds: int | None
    amount_minor: int | None
    currency: str


class EndSummary(TypedDict):
    """What the room shows once the end is booked (`services.consultation_summary`):
    how long, what it cost, why it ended, the client's balance now and whether (and from
    how many paid seconds) the client may rate it."""

    reason: str | None
    duration_seconds: int | None
    billed_seconds: int | None
    amount_minor: int | None
    currency: str
    # The client's balance after the booking (paid + bonus − owed); None for the partner.
    balance_minor: int | None
    # The client may rate it now (settled, at least `rating_min_seconds` paid, not rated).
    rateable: bool
    rated: bool
    rating_min_seconds: int


class ChatLine(TypedDict):
    sender: str
    body: str
    at: str  # ISO 8601


class RequestSummary(TypedDict):
    """An open request as the partner's request channel shows it."""

    consultation: str
    platform: str
    listing: str
    client: str  # the per-partner pseudonym
    channel: str
    rate_minor: int
    currency: str
    requested_at: str
    expires_at: str


class IceServer(TypedDict, total=False):
    """One entry of `RTCConfiguration.iceServers`; TURN entries carry a time-limited
    credential (coturn's shared-secret REST scheme, `consultations.media`)."""

    urls: list[str]
    username: str
    credential: str


class MediaInfo(TypedDict):
    """What a participant's browser needs for the video: the ICE servers, and when the
    TURN credential in them expires (unix seconds; None without TURN)."""

    ice_servers: list[IceServer]
    expires_at: int | None


class MediaState(MediaInfo):
    """`hello.media` of a video consultation: the ICE servers and whether the media
    already fell back to chat (`fallback`: the reason, else None)."""

    fallback: str | None


# --- the room: /ws/consultations/<id>/, server → browser ----------------------------------


class HelloFrame(TypedDict):
    type: Literal["hello"]
    role: Role
    state: MeterState
    transcript: list[ChatLine]
    warnings: list[int]
    heartbeat_timeout_seconds: int
    channel: str  # "chat", "video" or "phone"
    # A video consultation's media (None for chat and phone).
    media: MediaState | None


class SignalFrame(TypedDict, total=False):
    """WebRTC signalling relayed from the peer: `kind` ready (the peer has its camera and
    the consultation is live), offer / answer (with `sdp`), ice (with `candidate`, None at
    the end of the candidates), hangup; `id` numbers the offer it belongs to."""

    type: Literal["signal"]
    kind: str
    id: int
    sdp: str
    candidate: dict[str, object] | None


class MediaFallbackFrame(TypedDict):
    """The media of a video consultation failed on `role`'s side (`reason`: denied,
    no_device, failed, unsupported): both screens stop it and go on chatting."""

    type: Literal["media.fallback"]
    role: Role
    reason: str
    at: str


class StateFrame(TypedDict):
    type: Literal["started", "extended", "paused", "resumed"]
    state: MeterState


class ReconnectedFrame(TypedDict):
    """A side's socket is back after its connection was lost (its server process died,
    the network dropped): the seconds from that side's last heartbeat (`gap_started_at`)
    to its return (`gap_seconds`) are not billed, and the cut-off moved by them
    (`state`). Sent to both sides."""

    type: Literal["reconnected"]
    role: Role
    gap_started_at: str
    gap_seconds: float
    state: MeterState


class MeterFrame(TypedDict):
    type: Literal["meter"]
    elapsed_seconds: int  # metered
    cost_minor: int
    remaining_seconds: int
    paid_seconds: int
    paused: bool
    currency: str


class WarningFrame(TypedDict):
    type: Literal["warning"]
    remaining_seconds: int
    at_second: int


class ChatFrame(TypedDict):
    type: Literal["chat"]
    sender: str
    body: str
    at: str


class HeartbeatAckFrame(TypedDict):
    type: Literal["heartbeat.ack"]
    at: str


class EndFrame(TypedDict):
    type: Literal["ended", "settled"]
    state: EndedState
    # Present once the end is booked (`status: "settled"`); None in a cut-off's
    # `ended`, which is announced before the booking.
    summary: EndSummary | None


class ClosedRequestFrame(TypedDict):
    """The request did not become a consultation."""

    type: Literal["declined", "missed", "cancelled"]
    state: MeterState


class ErrorFrame(TypedDict):
    """Errors never close the socket. `code`: a `DomainError` code, or `unknown_type` /
    `malformed`."""

    type: Literal["error"]
    code: str
    message: str
    fields: dict[str, object]


# --- the room, browser → server -----------------------------------------------------------


class RoomCommand(TypedDict):
    """`heartbeat` (both; any frame confirms presence), `end` (both), `extend`, `pause`,
    `resume`, `cancel` (the client)."""

    type: Literal["heartbeat", "end", "extend", "pause", "resume", "cancel"]


class ChatSend(TypedDict):
    type: Literal["chat"]
    body: str


class SignalSend(TypedDict, total=False):
    """Browser → server, relayed to the other participant only (video consultations)."""

    type: Literal["signal"]
    kind: str
    id: int
    sdp: str
    candidate: dict[str, object] | None


class MediaCommand(TypedDict, total=False):
    """`media.ice` (fresh ICE servers: answered with `media.ice`) or `media.fallback`
    with `reason` (video consultations)."""

    type: Literal["media.ice", "media.fallback"]
    reason: str


# --- the partner's request channel: /ws/partner/requests/ ---------------------------------


class RequestsHelloFrame(TypedDict):
    type: Literal["hello"]
    requests: list[RequestSummary]


class RequestFrame(RequestSummary):
    type: Literal["request"]


class RequestClosedFrame(TypedDict):
    type: Literal["request.closed"]
    consultation: str
    status: str


class AnswerFrame(TypedDict):
    type: Literal["accepted", "declined"]
    consultation: str
    status: str


class PresenceStatusFrame(TypedDict):
    type: Literal["presence"]
    status: str


class RequestAnswer(TypedDict):
    """Browser → server."""

    type: Literal["accept", "decline"]
    consultation: str


class PresenceSet(TypedDict):
    """Browser → server: `online` or `offline`."""

    type: Literal["presence"]
    status: str


ClientFrame = RoomCommand | ChatSend | SignalSend | MediaCommand | RequestAnswer | PresenceSet
"""Every frame a browser sends (room and request channel)."""


# --- directory pages: /ws/presence/?listing=… ---------------------------------------------


class ListingsPresenceFrame(TypedDict):
    type: Literal["presence"]
    listings: dict[str, str]  # listing id → "online" | "busy" | "offline"


# --- channel-layer events (server → the sockets of a group, on any process) ----------------
# The type names the consumer's handler (`consultation.ended` → `consultation_ended`).

StateEventType = Literal[
    "consultation.started",
    "consultation.extended",
    "consultation.paused",
    "consultation.resumed",
    "consultation.declined",
    "consultation.missed",
    "consultation.cancelled",
]
EndEventType = Literal["consultation.ended", "consultation.cutoff"]


class StateEvent(TypedDict):
    type: StateEventType
    state: MeterState


class EndEvent(TypedDict):
    type: EndEventType
    state: EndedState


class ReconnectedEvent(TypedDict):
    """`consultation_outage_record` after commit; each socket sends `ReconnectedFrame`."""

    type: Literal["consultation.reconnected"]
    role: Role
    gap_started_at: str
    gap_seconds: float
    state: MeterState


class ChatEvent(TypedDict):
    type: Literal["chat.message"]
    sender: str
    body: str
    at: str


class SignalEvent(TypedDict):
    """A participant's signalling for the other one; the sender's own socket drops it."""

    type: Literal["media.signal"]
    sender: Role
    payload: dict[str, object]


class MediaFallbackEvent(TypedDict):
    type: Literal["media.fallback"]
    role: Role
    reason: str
    at: str


class RequestNewEvent(TypedDict):
    type: Literal["request.new"]
    consultation: str


class RequestClosedEvent(TypedDict):
    type: Literal["request.closed"]
    consultation: str
    status: str


class PresenceChangedEvent(TypedDict):
    type: Literal["presence.changed"]
    partner: int


GroupEvent = (
    StateEvent
    | EndEvent
    | ReconnectedEvent
    | ChatEvent
    | SignalEvent
    | MediaFallbackEvent
    | RequestNewEvent
    | RequestClosedEvent
    | PresenceChangedEvent
)
