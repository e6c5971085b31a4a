"""Favourites and "tell me when online": a client stars a partner on the profile and
sees the list; asks for an alert while the partner is offline; going online sends one
mail, once, and asking again after it is a new alert."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from sprechzeit.consultations.models import Favourite, OnlineAlert, PartnerPresence
from sprechzeit.consultations.services import presence_set
from sprechzeit.consultations.tests.factories import scene
from sprechzeit.notifications.models import OutboundMail

pytestmark = pytest.mark.django_db


def test_star_list_and_unstar_a_partner() -> None:
    s = scene(balance_minor=0)
    browser = Client(HTTP_HOST=f"{s.platform.slug}.localhost")
    browser.force_login(s.client.user)
    profile = f"/berater/{s.listing.slug}/"
    assert "Als Favorit merken" in browser.get(profile).content.decode()
    assert "Noch keine Favoriten" in browser.get("/favoriten/").content.decode()

    starred = browser.post(f"{profile}merken/", follow=True)
    assert "ist jetzt in Ihren Favoriten" in starred.content.decode()
    assert "In Ihren Favoriten" in starred.content.decode()
    page = browser.get("/favoriten/").content.decode()
    assert s.listing.display_name in page
    assert "2,00" in page
    assert 'href="/favoriten/"' in page  # in the client's navigation

    browser.post(f"{profile}merken/", {"zurueck": "favoriten"})
    assert not Favourite.objects.exists()
    # A listing of another platform cannot be starred from here.
    other = scene(balance_minor=0)
    assert browser.post(f"/berater/{other.listing.slug}/merken/").status_code == 404


def test_online_alert_is_mailed_once_when_the_partner_goes_online(
    django_capture_on_commit_callbacks: Any,
) -> None:
    s = scene(balance_minor=0, online=False)
    browser = Client(HTTP_HOST=f"{s.platform.slug}.localhost")
    browser.force_login(s.client.user)
    profile = f"/berater/{s.listing.slug}/"
    assert 'id="online-alert-button"' in browser.get(profile).content.decode()
    asked = browser.post(f"{profile}online-melden/", follow=True)
    assert "sobald" in asked.content.decode()
    assert 'id="online-alert-open"' in asked.content.decode()
    browser.post(f"{profile}online-melden/")  # asking twice: still one alert
    assert OnlineAlert.objects.count() == 1

    with django_capture_on_commit_callbacks(execute=True):
        presence_set(partner=s.partner, status=PartnerPresence.Status.ONLINE)
    mails = OutboundMail.objects.filter(key__startswith="online-alert:")
    assert mails.count() == 1
    mail = mails.get()
    assert mail.to_email == s.client.user.email
    assert s.listing.display_name in mail.subject
    assert f"/berater/{s.listing.slug}/" in mail.body_text
    # Offline and online again: nothing more is sent.
    with django_capture_on_commit_callbacks(execute=True):
        presence_set(partner=s.partner, status=PartnerPresence.Status.OFFLINE)
        presence_set(partner=s.partner, status=PartnerPresence.Status.ONLINE)
    assert OutboundMail.objects.filter(key__startswith="online-alert:").count() == 1
    assert OnlineAlert.objects.get().sent_at is not None
