"""Video consultations: the listing's video offer within the platform's limits, the rate a
video request freezes, TURN credentials (coturn's shared-secret scheme: participants
only, expiring), the signalling relayed between the two participants only, the
fall-back to chat in the same consultation, and billing identical to chat."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.core.cache import cache
from django.utils import translation

from sprechzeit.accounts.tests.factories import client_create
from sprechzeit.consultations import records
from sprechzeit.consultations.errors import (
    InvalidTransition,
    NotParticipant,
    TariffOutOfRange,
    VideoNotOffered,
)
from sprechzeit.consultations.media import (
    ice_servers_for,
    turn_credential,
    turn_credential_valid,
)
from sprechzeit.consultations.models import Consultation, PlatformTariffPolicy
from sprechzeit.consultations.realtime import timebase
from sprechzeit.consultations.realtime.timebase import ManualTimebase
from sprechzeit.consultations.services import (
    consultation_accept,
    consultation_cancel,
    consultation_end,
    consultation_request,
)
from sprechzeit.consultations.services.video import (
    consultation_media_fallback,
    listing_video_offer,
    listing_video_set,
)
from sprechzeit.consultations.tariff import tariff_rate
from sprechzeit.consultations.tests.factories import Scene, scene
from sprechzeit.consultations.tests.test_realtime import (
    Socket,
    application,
    check,
    connect,
    run_until,
)
from sprechzeit.ledger.tests.helpers import assert_ledger_sound

VIDEO = Consultation.Channel.VIDEO
SECRET = "a-coturn-static-auth-secret"
TURN = ["turn:turn.example.test:3478?transport=udp", "turns:turn.example.test:5349"]


@pytest.fixture(autouse=True)
def _turn(settings: Any) -> None:
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    settings.WEBRTC_STUN_URLS = ["stun:turn.example.test:3478"]
    settings.WEBRTC_TURN_URLS = TURN
    settings.WEBRTC_TURN_SECRET = SECRET
    settings.WEBRTC_TURN_TTL_SECONDS = 3600
    cache.clear()


@pytest.fixture
def clock() -> Iterator[ManualTimebase]:
    manual = ManualTimebase(datetime.now(tz=UTC).replace(microsecond=0))
    with timebase.use(manual):
        yield manual


def video_scene(*, video_rate: int = 300, **kwargs: Any) -> Scene:
    s = scene(**kwargs)
    listing_video_set(listing=s.listing, enabled=True, rate_minor=video_rate)
    return s


# --- the offer --------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_listing_offers_video_at_its_own_rate_within_the_platforms_limits() -> None:
    s = scene(rate_minor=200)
    assert listing_video_offer(s.listing) is None  # off by default
    with pytest.raises(TariffOutOfRange):
        listing_video_set(listing=s.listing, enabled=True, rate_minor=1000)  # above 9.99
    with pytest.raises(TariffOutOfRange):
        listing_video_set(listing=s.listing, enabled=True, rate_minor=None)
    listing_video_set(listing=s.listing, enabled=True, rate_minor=350)
    offer = listing_video_offer(s.listing)
    assert offer is not None
    assert offer.minor == 350
    # The platform narrows video rates in its tariff policy, or forbids video.
    PlatformTariffPolicy.objects.create(
        platform=s.platform, video_rate_min_minor=100, video_rate_max_minor=300
    )
    with pytest.raises(TariffOutOfRange):
        listing_video_set(listing=s.listing, enabled=True, rate_minor=350)
    assert listing_video_offer(s.listing) is None  # the stored 3.50 left the limits
    with pytest.raises(TariffOutOfRange):
        consultation_request(client=s.client, listing=s.listing, channel=VIDEO)
    PlatformTariffPolicy.objects.filter(platform=s.platform).update(
        video_rate_max_minor=None, video_enabled=False
    )
    with pytest.raises(VideoNotOffered):
        listing_video_set(listing=s.listing, enabled=True, rate_minor=300)
    listing_video_set(listing=s.listing, enabled=False, rate_minor=None)
    assert not Consultation.objects.exists()


@pytest.mark.django_db
def test_a_video_request_freezes_the_video_rate_and_a_chat_the_chat_rate() -> None:
    s = scene(rate_minor=200)
    with pytest.raises(VideoNotOffered):
        consultation_request(client=s.client, listing=s.listing, channel=VIDEO)
    listing_video_set(listing=s.listing, enabled=True, rate_minor=300)
    video = consultation_request(client=s.client, listing=s.listing, channel=VIDEO)
    assert (video.channel, video.rate_minor) == ("video", 300)
    consultation_cancel(consultation=video, client=s.client)
    chat = consultation_request(client=s.client, listing=s.listing)
    assert (chat.channel, chat.rate_minor) == ("chat", 200)


# --- TURN credentials -------------------------------------------------------------------


def test_turn_credentials_follow_coturns_shared_secret_scheme_and_expire() -> None:
    token = turn_credential(secret=SECRET, subject="abc-client", expires_at=1_900_000_000)
    assert token.username == "1900000000:abc-client"
    expected = base64.b64encode(
        hmac.new(SECRET.encode(), b"1900000000:abc-client", hashlib.sha1).digest()
    ).decode()
    assert token.credential == expected
    ok = {"username": token.username, "credential": token.credential}
    assert turn_credential_valid(secret=SECRET, now=1_899_999_999, **ok)
    assert not turn_credential_valid(secret=SECRET, now=1_900_000_000, **ok)  # expired
    assert not turn_credential_valid(secret="another-secret", now=1_800_000_000, **ok)
    forged = {"username": "1999999999:abc-client", "credential": token.credential}
    assert not turn_credential_valid(secret=SECRET, now=1_800_000_000, **forged)


@pytest.mark.django_db
def test_only_the_two_participants_of_an_open_video_consultation_get_credentials() -> None:
    s = video_scene()
    consultation = consultation_request(client=s.client, listing=s.listing, channel=VIDEO)
    now = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    issued = {}
    for role, user in (("client", s.client.user), ("partner", s.partner.user)):
        info = ice_servers_for(consultation_id=str(consultation.pk), user=user, now=now)
        stun, turn = info["ice_servers"]
        assert stun == {"urls": ["stun:turn.example.test:3478"]}
        assert turn["urls"] == TURN
        expiry = int(now.timestamp()) + 3600
        assert info["expires_at"] == expiry
        assert turn["username"] == f"{expiry}:{consultation.pk.hex}-{role}"
        valid = {"username": turn["username"], "credential": turn["credential"]}
        assert turn_credential_valid(secret=SECRET, now=expiry - 1, **valid)
        assert not turn_credential_valid(secret=SECRET, now=expiry, **valid)
        issued[role] = turn["username"]
    assert issued["client"] != issued["partner"]
    # Nobody else: another client of the platform, another partner, a stranger.
    other = scene(platform=s.platform)
    for user in (other.client.user, other.partner.user, client_create(platform=s.platform).user):
        with pytest.raises(NotParticipant):
            ice_servers_for(consultation_id=str(consultation.pk), user=user, now=now)
    # Not for a chat, nor once the video consultation is over.
    consultation_cancel(consultation=consultation, client=s.client)
    with pytest.raises(InvalidTransition):
        ice_servers_for(consultation_id=str(consultation.pk), user=s.client.user, now=now)
    chat = consultation_request(client=s.client, listing=s.listing)
    with pytest.raises(InvalidTransition):
        ice_servers_for(consultation_id=str(chat.pk), user=s.client.user, now=now)


@pytest.mark.django_db
def test_without_a_turn_server_no_credential_is_issued(settings: Any) -> None:
    settings.WEBRTC_TURN_URLS = []
    settings.WEBRTC_STUN_URLS = []
    s = video_scene()
    consultation = consultation_request(client=s.client, listing=s.listing, channel=VIDEO)
    info = ice_servers_for(
        consultation_id=str(consultation.pk), user=s.client.user, now=datetime.now(tz=UTC)
    )
    assert info == {"ice_servers": [], "expires_at": None}


# --- over the room socket ---------------------------------------------------------------


async def video_live(s: Scene, clock: ManualTimebase) -> tuple[Consultation, Socket, Socket]:
    consultation: Consultation = await database_sync_to_async(consultation_request)(
        client=s.client, listing=s.listing, channel=VIDEO, now=clock.now()
    )
    client = await connect(f"/ws/consultations/{consultation.pk}/", s.client.user)
    await database_sync_to_async(consultation_accept)(
        consultation=consultation, partner=s.partner, now=clock.now()
    )
    await client.expect("started")
    partner = await connect(f"/ws/consultations/{consultation.pk}/", s.partner.user)
    return consultation, client, partner


async def _video_scene(**kwargs: Any) -> Scene:
    made: Scene = await database_sync_to_async(video_scene)(**kwargs)
    return made


@pytest.mark.django_db(transaction=True)
async def test_signalling_is_relayed_to_the_other_participant_only(
    clock: ManualTimebase,
) -> None:
    s = await _video_scene(balance_minor=500, video_rate=300)
    consultation, client, partner = await video_live(s, clock)
    for socket, role in ((client, "client"), (partner, "partner")):
        hello = socket.of("hello")[0]
        assert hello["channel"] == "video"
        assert hello["media"]["fallback"] is None
        turn = hello["media"]["ice_servers"][1]
        assert turn["username"].endswith(f":{consultation.pk.hex}-{role}")
    await client.send(type="signal", kind="offer", id=1, sdp="v=0 offer")
    offer = await partner.expect("signal")
    assert offer == {"type": "signal", "kind": "offer", "id": 1, "sdp": "v=0 offer"}
    candidate = {"candidate": "candidate:1 1 udp 1 127.0.0.1 5000 typ host", "sdpMid": "0"}
    await partner.send(type="signal", kind="answer", id=1, sdp="v=0 answer")
    await partner.send(type="signal", kind="ice", id=1, candidate=candidate)
    assert (await client.expect("signal"))["kind"] == "answer"
    await client.pump()
    ice = client.of("signal")[1]
    assert ice["candidate"] == {**candidate, "sdpMLineIndex": None}
    # No echo to the sender; a third person cannot even open the room.
    await client.pump()
    await partner.pump()
    assert [m["kind"] for m in partner.of("signal")] == ["offer"]
    assert [m["kind"] for m in client.of("signal")] == ["answer", "ice"]
    stranger = await database_sync_to_async(client_create)(platform=s.platform)
    intruder = WebsocketCommunicator(application, f"/ws/consultations/{consultation.pk}/")
    intruder.scope["user"] = stranger.user
    connected, code = await intruder.connect()
    assert (connected, code) == (False, 4403)
    # Malformed signalling is refused, not relayed.
    await client.send(type="signal", kind="shell", sdp="x")
    await client.send(type="signal", kind="offer", sdp="x" * 40_000)
    await client.send(type="media.ice")
    await client.pump()
    assert [e["code"] for e in client.of("error")] == ["invalid_message", "invalid_message"]
    assert client.of("media.ice")[0]["ice_servers"][1]["urls"] == TURN
    await partner.pump()
    assert len(partner.of("signal")) == 1
    for socket in (client, partner):
        await socket.close()


@pytest.mark.django_db(transaction=True)
async def test_signalling_is_refused_in_a_chat(clock: ManualTimebase) -> None:
    s = await _video_scene()
    consultation: Consultation = await database_sync_to_async(consultation_request)(
        client=s.client, listing=s.listing, now=clock.now()
    )
    client = await connect(f"/ws/consultations/{consultation.pk}/", s.client.user)
    assert client.of("hello")[0]["media"] is None
    await client.send(type="signal", kind="ready")
    await client.send(type="media.fallback", reason="denied")
    assert (await client.expect("error"))["code"] == "invalid_transition"
    await client.pump()
    assert len(client.of("error")) == 2
    await client.close()


@pytest.mark.django_db(transaction=True)
async def test_a_video_is_cut_off_at_the_paid_second_and_billed_exactly_like_a_chat(
    clock: ManualTimebase,
) -> None:
    # 5.00 € at 3.00 €/min per second: 100 paid seconds.
    s = await _video_scene(balance_minor=500, video_rate=300)
    consultation, client, partner = await video_live(s, clock)
    assert client.of("hello")[0]["state"]["paid_seconds"] == 0
    assert (await client.expect("meter"))["paid_seconds"] == 100
    await run_until(clock, [client, partner], 99)
    assert not client.of("ended")
    await run_until(clock, [client, partner], 101, step=1)
    for socket in (client, partner):
        ended = await socket.expect("ended")
        assert ended["state"]["reason"] == "balance"
        assert ended["state"]["amount_minor"] == 500
    settled = await database_sync_to_async(Consultation.objects.get)(pk=consultation.pk)
    assert (settled.status, settled.billed_seconds, settled.amount_minor) == ("settled", 100, 500)
    assert await check(s) == 0
    for socket in (client, partner):
        await socket.close()


@pytest.mark.django_db(transaction=True)
async def test_a_media_failure_falls_back_to_chat_in_the_same_consultation(
    clock: ManualTimebase,
) -> None:
    s = await _video_scene(balance_minor=500, video_rate=300)
    consultation, client, partner = await video_live(s, clock)
    await run_until(clock, [client, partner], 20)
    await partner.send(type="media.fallback", reason="no_device")
    for socket in (client, partner):
        fallback = await socket.expect("media.fallback")
        assert (fallback["role"], fallback["reason"]) == ("partner", "no_device")
    # Once is enough: a second report changes nothing; the media may not restart.
    await client.send(type="media.fallback", reason="failed")
    await client.send(type="signal", kind="ready")
    assert (await client.expect("error"))["code"] == "invalid_transition"
    await client.pump()
    assert len(client.of("media.fallback")) == 1
    # The same consultation goes on as a chat, with the same meter.
    await client.send(type="chat", body="Dann schreiben wir.")
    assert (await partner.expect("chat"))["body"] == "Dann schreiben wir."
    # A returning browser learns it at once, and gets no credentials any more.
    again = await connect(f"/ws/consultations/{consultation.pk}/", s.client.user)
    media = again.of("hello")[0]["media"]
    assert media == {"ice_servers": [], "expires_at": None, "fallback": "no_device"}
    await again.close()
    await run_until(clock, [client, partner], 60)
    await client.send(type="end")
    await partner.expect("ended")
    settled = await database_sync_to_async(Consultation.objects.get)(pk=consultation.pk)
    assert settled.status == "settled"
    assert settled.media_fallback_reason == "no_device"
    assert settled.amount_minor == tariff_rate(seconds=60, tariff=settled.tariff).minor == 300
    assert await check(s) == 200
    record = (await database_sync_to_async(records.records_for_client)(client=s.client))[0]
    assert record.medium == "video_chat"
    with translation.override("de"):
        assert record.medium_label == "Video, als Chat weitergeführt"
    for socket in (client, partner):
        await socket.close()


@pytest.mark.django_db
def test_a_fallback_after_the_end_is_refused() -> None:
    s = video_scene()
    consultation = consultation_request(client=s.client, listing=s.listing, channel=VIDEO)
    consultation_accept(
        consultation=consultation,
        partner=s.partner,
        now=datetime.now(tz=UTC) - timedelta(seconds=5),
    )
    consultation_end(consultation=consultation, reason="client")
    with pytest.raises(InvalidTransition):
        consultation_media_fallback(consultation=consultation, role="client", reason="failed")
    assert_ledger_sound()
