"""The pages of video consultations: the partner switches video on with its own rate
(within the platform's limits), the directory and the profile show it, the client
chooses video at the start and sees its terms, the room carries the video panel."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from sprechzeit.accounts.models import Listing
from sprechzeit.accounts.tests.factories import login_verified
from sprechzeit.consultations.models import Consultation, PlatformTariffPolicy
from sprechzeit.consultations.services import consultation_cancel
from sprechzeit.consultations.tests.factories import scene
from sprechzeit.ledger.tests.helpers import assert_ledger_sound
from sprechzeit.legal.services import legal_documents_start

pytestmark = pytest.mark.django_db


def _text(html: str, element_id: str) -> str:
    match = re.search(rf'id="{element_id}"[^>]*>(.*?)</', html, re.S)
    assert match is not None, element_id
    return re.sub(r"[ \t\n]+", " ", match.group(1)).strip()


def test_the_partner_offers_video_within_the_limits_and_clients_see_it() -> None:
    s = scene(balance_minor=900, rate_minor=200)
    legal_documents_start(platform=s.platform)
    host = {"host": f"{s.platform.slug}.localhost"}
    partner = Client()
    login_verified(partner, s.partner.user)
    url = f"/partner/profile/{s.listing.pk}/"
    form = partner.get(url, headers=host)
    assert form.status_code == 200
    assert 'name="video_enabled"' in form.content.decode()
    data = {"display_name": s.listing.display_name, "rate": "2,00"}

    missing = partner.post(url, {**data, "video_enabled": "on"}, headers=host)
    assert "Für Video bitte einen Preis angeben." in missing.content.decode()
    too_dear = partner.post(
        url, {**data, "video_enabled": "on", "video_rate": "10,00"}, headers=host
    )
    assert "zwischen 0,99 und 9,99" in too_dear.content.decode()
    assert not Listing.objects.get(pk=s.listing.pk).video_enabled
    saved = partner.post(url, {**data, "video_enabled": "on", "video_rate": "3,00"}, headers=host)
    assert saved.status_code == 302
    listing = Listing.objects.get(pk=s.listing.pk)
    assert (listing.video_enabled, listing.video_rate_minor) == (True, 300)

    visitor = Client()
    directory = visitor.get("/berater/", headers=host).content.decode()
    assert "Video: 3,00\xa0€ pro Minute" in directory
    client = Client(HTTP_HOST=f"{s.platform.slug}.localhost")
    client.force_login(s.client.user)
    profile = client.get(f"/berater/{s.listing.slug}/")
    assert profile.status_code == 200
    html = profile.content.decode()
    assert _text(html, "video-rate") == "Video: 3,00\xa0€ pro Minute"
    assert 'name="kanal" value="video"' in html

    # The client chooses video: its own terms, then the room with the video panel.
    start = f"/beratung/starten/{s.listing.slug}/"
    terms = client.post(start, {"kanal": "video"}).content.decode()
    assert _text(terms, "offer-channel") == "Video (Kamera und Mikrofon)"
    assert _text(terms, "offer-rate") == "3,00\xa0€ pro Minute"
    assert _text(terms, "offer-minutes") == "etwa 3 Minuten"
    assert 'name="kanal" value="video"' in terms
    assert 'id="video-note"' in terms
    started = client.post(start, {"bestaetigt": "1", "kanal": "video", "withdrawal_waiver": "on"})
    consultation = Consultation.objects.get(client=s.client)
    assert started["Location"] == f"/beratung/{consultation.pk}/"
    assert (consultation.channel, consultation.rate_minor) == ("video", 300)
    room = client.get(started["Location"]).content.decode()
    assert 'id="video-allow"' in room
    assert "consultations/video.js" in room
    assert "Kamera und Mikrofon freigeben" in room
    assert "<script>" not in room.replace('<script id="', "")  # no inline script
    consultation_cancel(consultation=consultation, client=s.client)

    # Video off on the listing, or forbidden by the platform: neither shown nor startable.
    PlatformTariffPolicy.objects.create(platform=s.platform, video_enabled=False)
    assert 'id="video-rate"' not in client.get(f"/berater/{s.listing.slug}/").content.decode()
    refused = client.get(start, {"kanal": "video"}).content.decode()
    assert _text(refused, "start-refusal") == "Dieses Profil bietet keine Videoberatung an."
    # Confirmed before in this session, a start goes straight in: refused, back to the profile.
    straight = client.post(start, {"kanal": "video"}, follow=True)
    assert "Dieses Profil bietet keine Videoberatung an." in straight.content.decode()
    assert 'name="video_enabled"' not in partner.get(url, headers=host).content.decode()
    assert Consultation.objects.filter(status="requested").count() == 0
    assert_ledger_sound()
