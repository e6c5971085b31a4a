"""Legal texts per platform (versioned, immutable), their pages in both languages, the
footer links, consent at sign-up and the § 356 BGB request before the first consultation."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import DatabaseError, transaction
from django.test import Client

from sprechzeit.accounts import roles
from sprechzeit.accounts.models import User
from sprechzeit.accounts.services import staff_create
from sprechzeit.accounts.tests.factories import PASSWORD, login_verified
from sprechzeit.consultations.models import Consultation
from sprechzeit.consultations.tests.factories import scene
from sprechzeit.core import clock
from sprechzeit.demo.seed import demo_seed
from sprechzeit.legal.errors import WithdrawalWaiverMissing
from sprechzeit.legal.models import Consent, LegalDocument
from sprechzeit.legal.selectors import legal_document_current
from sprechzeit.legal.services import (
    legal_document_issue,
    legal_documents_start,
    withdrawal_waiver_ensure,
)
from sprechzeit.platforms.models import Platform
from sprechzeit.platforms.tests.factories import platform_create

pytestmark = pytest.mark.django_db

PAGES = {
    "/agb/": ("Allgemeine Geschäftsbedingungen", "Terms and conditions"),
    "/datenschutz/": ("Datenschutzerklärung", "Privacy notice"),
    "/widerruf/": ("Widerrufsbelehrung", "Withdrawal notice"),
    "/impressum/": ("Impressum", "Legal notice"),
}


@pytest.fixture
def demo() -> list[Platform]:
    demo_seed()
    return list(Platform.objects.order_by("slug"))


def _browser(platform: Platform, language: str = "de") -> Client:
    browser = Client(HTTP_HOST=f"{platform.slug}.localhost")
    browser.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return browser


def test_every_legal_page_renders_on_both_demo_platforms_in_german_and_english(
    demo: list[Platform],
) -> None:
    assert len(demo) >= 2
    for platform in demo:
        for path, (german, english) in PAGES.items():
            page = _browser(platform).get(path)
            assert page.status_code == 200, (platform.slug, path)
            html = page.content.decode()
            assert f"<h1>{german}</h1>" in html
            assert platform.legal_entity.name in html
            english_page = _browser(platform, "en").get(path).content.decode()
            assert f"<h1>{english}</h1>" in english_page, (platform.slug, path)
    terms = _browser(demo[0]).get("/agb/").content.decode()
    assert demo[0].name in terms
    assert "Version 1, gültig ab" in terms
    assert "§ 5 DDG" in _browser(demo[0]).get("/impressum/").content.decode()


def test_footer_links_every_legal_page_and_they_resolve(demo: list[Platform]) -> None:
    for platform in demo:
        for start in ("/", "/berater/", "/registrieren/", "/agb/"):
            html = _browser(platform).get(start).content.decode()
            footer = html[html.index("<footer") :]
            links = re.findall(r'href="(/[^"]*)"', footer)
            for path in PAGES:
                assert path in links, (platform.slug, start, path)
        for path in PAGES:
            assert _browser(platform).get(path).status_code == 200


def test_a_new_version_is_a_new_row_and_the_page_shows_the_newest_valid_one() -> None:
    platform = platform_create(slug="a")
    first, *_rest = legal_documents_start(platform=platform)
    assert (first.kind, first.version) == ("terms", 1)
    assert legal_documents_start(platform=platform) == []  # idempotent
    later = legal_document_issue(
        platform=platform,
        kind="terms",
        title_de="AGB",
        text_de="## § 1 Neu\nNeue Fassung.",
        valid_from=clock.now() + timedelta(days=30),
    )
    assert later.version == 2
    assert legal_document_current(platform=platform, kind="terms") == first
    page = _browser(platform).get("/agb/").content.decode()
    assert "Allgemeine Geschäftsbedingungen" in page
    assert "Neue Fassung" not in page
    assert "Neue Fassung." in _browser(platform).get("/agb/?version=2").content.decode()
    now_valid = legal_document_issue(
        platform=platform, kind="terms", title_de="AGB", text_de="Heute gültig."
    )
    assert now_valid.version == 3
    assert "Heute gültig." in _browser(platform).get("/agb/").content.decode()
    other = platform_create(slug="b")
    assert _browser(other).get("/agb/").status_code == 404  # texts are per platform


def test_the_database_refuses_to_change_an_issued_version() -> None:
    platform = platform_create()
    legal_documents_start(platform=platform)
    document = LegalDocument.objects.filter(platform=platform).first()
    assert document is not None
    with pytest.raises(DatabaseError), transaction.atomic():
        LegalDocument.objects.filter(pk=document.pk).update(text_de="still geändert")
    document.refresh_from_db()
    assert document.text_de != "still geändert"


def test_signup_stores_consent_with_document_versions_time_and_ip() -> None:
    platform = platform_create(slug="a")
    legal_documents_start(platform=platform)
    legal_document_issue(platform=platform, kind="privacy", title_de="DS", text_de="Neu.")
    data = {"email": "neu@example.com", "password": "ein-gutes-passwort-7", "accept_terms": "on"}
    before = clock.now()
    response = Client().post(
        "/registrieren/", data, headers={"host": "a.localhost"}, REMOTE_ADDR="203.0.113.7"
    )
    assert response.status_code == 302
    user = User.objects.get(email="neu@example.com")
    consents = {c.document.kind: c for c in Consent.objects.filter(user=user)}
    assert set(consents) == {"terms", "privacy"}
    assert consents["terms"].document.version == 1
    assert consents["privacy"].document.version == 2
    for consent in consents.values():
        assert consent.purpose == Consent.Purpose.SIGNUP
        assert consent.ip == "203.0.113.7"
        assert consent.at >= before
    # The account's data export lists them (GDPR Art. 15 / 20).
    browser = Client()
    browser.force_login(user)
    export = json.loads(browser.get("/konto/daten/", headers={"host": "a.localhost"}).content)
    assert sorted((c["document"], c["version"], c["purpose"]) for c in export["consents"]) == [
        ("privacy", 2, "signup"),
        ("terms", 1, "signup"),
    ]


def test_signup_without_terms_checkbox_or_without_issued_texts_creates_nothing() -> None:
    platform_create(slug="a")
    data = {"email": "neu@example.com", "password": "ein-gutes-passwort-7", "accept_terms": "on"}
    refused = Client().post("/registrieren/", data, headers={"host": "a.localhost"})
    assert refused.status_code == 200
    assert "noch nicht hinterlegt" in refused.content.decode()
    assert not User.objects.filter(email="neu@example.com").exists()
    assert not Consent.objects.exists()


def test_first_paid_consultation_is_refused_without_the_withdrawal_waiver() -> None:
    s = scene(balance_minor=1000)
    legal_documents_start(platform=s.platform)
    browser = Client(HTTP_HOST=f"{s.platform.slug}.localhost")
    browser.force_login(s.client.user)
    start = f"/beratung/starten/{s.listing.slug}/"
    # The confirmation step before a paid start asks for it.
    assert 'name="withdrawal_waiver"' in browser.post(start).content.decode()
    refused = browser.post(start, {"bestaetigt": "1"}, follow=True)
    assert refused.redirect_chain == [(f"/berater/{s.listing.slug}/", 302)]
    assert "Widerrufsrecht" in refused.content.decode()
    assert not Consultation.objects.exists()
    assert not Consent.objects.exists()

    started = browser.post(
        start, {"bestaetigt": "1", "withdrawal_waiver": "on"}, REMOTE_ADDR="198.51.100.4"
    )
    consultation = Consultation.objects.get(client=s.client)
    assert started["Location"] == f"/beratung/{consultation.pk}/"
    waiver = Consent.objects.get(user=s.client.user)
    assert waiver.purpose == Consent.Purpose.WITHDRAWAL_WAIVER
    assert (waiver.document.kind, waiver.document.version) == ("withdrawal", 1)
    assert waiver.ip == "198.51.100.4"
    # Asked once: the confirmation step of another partner no longer shows the checkbox.
    other = scene(platform=s.platform, balance_minor=0)
    assert (
        'name="withdrawal_waiver"'
        not in browser.get(f"/beratung/starten/{other.listing.slug}/").content.decode()
    )


def test_waiver_service_refuses_then_records_once() -> None:
    s = scene(balance_minor=0)
    legal_documents_start(platform=s.platform)
    user = s.client.user
    with pytest.raises(WithdrawalWaiverMissing):
        withdrawal_waiver_ensure(user=user, platform=s.platform, given=False, ip=None)
    first = withdrawal_waiver_ensure(user=user, platform=s.platform, given=True, ip="192.0.2.1")
    assert first is not None
    assert withdrawal_waiver_ensure(user=user, platform=s.platform, given=False, ip=None) is None
    assert Consent.objects.filter(user=user).count() == 1


def test_staff_issue_a_new_version_in_the_admin_and_cannot_edit_an_issued_one() -> None:
    platform = platform_create()
    legal_documents_start(platform=platform)
    terms = LegalDocument.objects.get(platform=platform, kind="terms")
    admin_user = staff_create(email="admin@example.com", password=PASSWORD, role=roles.ADMIN)
    browser = Client()
    login_verified(browser, admin_user)
    prefilled = browser.get(f"/admin/legal/legaldocument/add/?from={terms.pk}")
    assert prefilled.status_code == 200
    assert "§ 1 Geltungsbereich" in prefilled.content.decode()
    change_page = browser.get(f"/admin/legal/legaldocument/{terms.pk}/change/").content.decode()
    assert f"add/?from={terms.pk}" in change_page  # "new version based on this one"
    posted = browser.post(
        "/admin/legal/legaldocument/add/",
        {
            "platform": platform.pk,
            "kind": "terms",
            "title_de": "AGB",
            "text_de": "## § 1 Neu\nZweite Fassung.",
            "title_en": "",
            "text_en": "",
            "valid_from_0": "2026-01-01",
            "valid_from_1": "00:00:00",
        },
    )
    assert posted.status_code == 302
    versions = list(
        LegalDocument.objects.filter(platform=platform, kind="terms").values_list(
            "version", "text_de", "created_by"
        )
    )
    assert versions == [
        (2, "## § 1 Neu\nZweite Fassung.", admin_user.pk),
        (1, terms.text_de, None),
    ]
    # Posting to an issued version's change page changes nothing.
    browser.post(
        f"/admin/legal/legaldocument/{terms.pk}/change/",
        {"platform": platform.pk, "kind": "terms", "title_de": "X", "text_de": "X"},
    )
    terms.refresh_from_db()
    assert terms.text_de != "X"
    assert browser.get("/admin/legal/consent/").status_code == 200
