"""The portal's listing edit on a platform that reviews edits: the price applies at once,
text waits (the portal says so, the public profile keeps the old version); a suspended
partner cannot go online from the dashboard."""

from __future__ import annotations

import pytest
from django.test import Client

from sprechzeit.accounts.tests.factories import login_verified, partner_with_listing
from sprechzeit.partners.models import ListingRevision, PartnerSettings
from sprechzeit.partners.services import partner_suspend
from sprechzeit.partners.tests.factories import staff
from sprechzeit.platforms.tests.factories import platform_create

pytestmark = pytest.mark.django_db
A = {"host": "a.localhost"}


def test_an_edit_under_review_keeps_the_public_profile_until_approved() -> None:
    platform = platform_create(slug="a")
    PartnerSettings.objects.create(platform=platform, review_listing_edits=True)
    partner, listing = partner_with_listing(platform=platform)
    browser = Client()
    login_verified(browser, partner.user)
    url = f"/partner/profile/{listing.pk}/"
    form = {"display_name": "Ganz neu", "headline": "", "description": "Neu", "rate": "2,99"}
    saved = browser.post(url, form, headers=A, follow=True)
    page = saved.content.decode()
    assert "Ihr Preis gilt ab sofort" in page
    assert "wird geprüft" in page
    listing.refresh_from_db()
    assert listing.rate_minor == 299
    assert listing.display_name != "Ganz neu"
    public = Client().get(f"/berater/{listing.slug}/", headers=A).content.decode()
    assert listing.display_name in public
    assert "Ganz neu" not in public
    assert ListingRevision.objects.get().display_name == "Ganz neu"


def test_a_suspended_partner_is_told_when_going_online() -> None:
    platform = platform_create(slug="a")
    partner, _listing = partner_with_listing(platform=platform)
    partner_suspend(partner=partner, actor=staff("admin"), reason="Prüfung")
    browser = Client()
    login_verified(browser, partner.user)
    answer = browser.post("/partner/erreichbarkeit/", {"status": "online"}, headers=A)
    assert answer.status_code == 409
    assert "gesperrt" in answer.content.decode()
