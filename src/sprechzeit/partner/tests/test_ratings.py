"""The partner's ratings page in the portal: their listings' reviews, hidden ones marked,
and a report with a reason."""

from __future__ import annotations

import pytest
from django.test import Client

from sprechzeit.accounts import roles
from sprechzeit.accounts.tests.factories import login_verified
from sprechzeit.consultations.tests.factories import scene
from sprechzeit.platforms.tests.factories import platform_create
from sprechzeit.support.models import RatingReport
from sprechzeit.support.services import rating_hide
from sprechzeit.support.tests.factories import rated, staff

pytestmark = pytest.mark.django_db
A = {"host": "a.localhost"}


def test_a_partner_sees_and_reports_reviews_of_own_listings_only() -> None:
    platform = platform_create(slug="a", rate_min_minor=99, rate_max_minor=999)
    s = scene(balance_minor=5000, platform=platform)
    mine = rated(s, 1, "Hat nur geredet")
    hidden = rated(s, 2, "Unsinn")
    rating_hide(actor=staff(roles.SUPPORT), rating=hidden, reason="Unsachlich")
    other = scene(balance_minor=5000, platform=platform)
    theirs = rated(other, 1, "Fremde Bewertung")
    browser = Client()
    login_verified(browser, s.partner.user)
    page = browser.get("/partner/bewertungen/", headers=A).content.decode()
    assert "Hat nur geredet" in page
    assert "Fremde Bewertung" not in page
    assert "ausgeblendet" in page
    response = browser.post(
        "/partner/bewertungen/", {"rating": mine.pk, "reason": "untrue"}, headers=A
    )
    assert response.status_code == 302
    assert RatingReport.objects.get().reporter == s.partner.user
    assert "Von Ihnen gemeldet" in browser.get("/partner/bewertungen/", headers=A).content.decode()
    foreign = browser.post(
        "/partner/bewertungen/", {"rating": theirs.pk, "reason": "untrue"}, headers=A
    )
    assert foreign.status_code == 404
    assert RatingReport.objects.count() == 1
