"""STUN/TURN servers for video consultations are configured per installation
(docs/operations.md, "TURN for video consultations"); TURN needs coturn's secret."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from sprechzeit.config.env import Env

SECRET = "a-coturn-static-auth-secret"


def test_turn_servers_are_configured_per_installation() -> None:
    base = {"SPRECHZEIT_MODE": "test"}
    assert Env.load(base).webrtc_turn_urls == ()
    with pytest.raises(ImproperlyConfigured, match="WEBRTC_TURN_SECRET"):
        Env.load({**base, "WEBRTC_TURN_URLS": "turn:turn.example.test:3478"})
    env = Env.load(
        {
            **base,
            "WEBRTC_STUN_URLS": "stun:a.example.test:3478",
            "WEBRTC_TURN_URLS": "turn:a.example.test:3478, turns:a.example.test:5349",
            "WEBRTC_TURN_SECRET": SECRET,
            "WEBRTC_TURN_TTL_SECONDS": "600",
        }
    )
    assert env.webrtc_stun_urls == ("stun:a.example.test:3478",)
    assert env.webrtc_turn_urls == ("turn:a.example.test:3478", "turns:a.example.test:5349")
    assert (env.webrtc_turn_secret, env.webrtc_turn_ttl_seconds) == (SECRET, 600)
