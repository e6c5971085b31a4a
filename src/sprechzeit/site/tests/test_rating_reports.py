"""Reviews on a partner's profile: a client reports one ("Melden"); once staff hide it,
it leaves the profile, the directory's average and count."""

from __future__ import annotations

import pytest
from django.test import Client

from sprechzeit.accounts import roles
from sprechzeit.accounts.tests.factories import client_create, login_verified
from sprechzeit.consultations.tests.factories import scene
from sprechzeit.platforms.tests.factories import platform_create
from sprechzeit.site.selectors import DirectoryFilter, listing_entry, listings_directory
from sprechzeit.support.models import RatingReport
from sprechzeit.support.services import rating_hide
from sprechzeit.support.tests.factories import rated, staff

pytestmark = pytest.mark.django_db
A = {"host": "a.localhost"}


def test_a_client_reports_a_review_and_a_hidden_one_counts_nowhere() -> None:
    platform = platform_create(slug="a", rate_min_minor=99, rate_max_minor=999)
    s = scene(balance_minor=5000, platform=platform)
    rated(s, 5, "Sehr gut")
    bad = rated(s, 1, "Abzocke, Name: Max Muster")
    profile = f"/berater/{s.listing.slug}/"
    visitor = Client()
    assert "Bewertung melden" not in visitor.get(profile, headers=A).content.decode()
    reader = client_create(platform=platform)
    browser = Client()
    login_verified(browser, reader.user)
    page = browser.get(profile, headers=A).content.decode()
    assert "Bewertung melden" in page
    assert "Abzocke" in page
    response = browser.post(
        f"{profile}melden/",
        {"rating": bad.pk, "reason": "personal", "comment": "Name genannt"},
        headers=A,
    )
    assert response.status_code == 302
    report = RatingReport.objects.get()
    assert (report.reporter, report.reason, report.comment) == (
        reader.user,
        "personal",
        "Name genannt",
    )
    again = browser.post(f"{profile}melden/", {"rating": bad.pk, "reason": "spam"}, headers=A)
    assert again.status_code == 302  # back to the profile with the message
    assert "bereits gemeldet" in browser.get(profile, headers=A).content.decode()
    assert RatingReport.objects.count() == 1

    entry = listing_entry(platform, slug=s.listing.slug)
    assert entry is not None
    assert (entry.rating_avg, entry.rating_count) == (3.0, 2)
    rating_hide(actor=staff(roles.SUPPORT), rating=bad, reason="Persönliche Daten")
    entry = listing_entry(platform, slug=s.listing.slug)
    assert entry is not None
    assert (entry.rating_avg, entry.rating_count) == (5.0, 1)
    [listed] = listings_directory(platform, DirectoryFilter())
    assert (listed.rating_avg, listed.rating_count) == (5.0, 1)
    page = visitor.get(profile, headers=A).content.decode()
    assert "Sehr gut" in page
    assert "Abzocke" not in page
    # A hidden review cannot be reported any more.
    refused = browser.post(f"{profile}melden/", {"rating": bad.pk, "reason": "spam"}, headers=A)
    assert refused.status_code == 404


def test_a_review_of_another_platform_cannot_be_reported_here() -> None:
    platform = platform_create(slug="a", rate_min_minor=99, rate_max_minor=999)
    other = scene(balance_minor=5000)
    rating = rated(other, 2)
    reader = client_create(platform=platform)
    browser = Client()
    login_verified(browser, reader.user)
    response = browser.post(
        f"/berater/{other.listing.slug}/melden/", {"rating": rating.pk, "reason": "spam"}, headers=A
    )
    assert response.status_code == 404
    assert not RatingReport.objects.exists()
