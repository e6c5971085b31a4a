"""The "Berater werden" page and the invitation link as a browser uses them (test
client): the footer links the page, an application is stored and confirmed by mail, the
honeypot refuses bots, the invitation sets password and authenticator and logs the
partner in, the onboarding records consents and tax data."""

from __future__ import annotations

import base64

import pytest
from django.core import mail
from django.test import Client
from django_otp.oath import totp

from sprechzeit.accounts.models import Category
from sprechzeit.legal.models import Consent
from sprechzeit.partners import services
from sprechzeit.partners.models import ListingRevision, PartnerApplication
from sprechzeit.partners.tests.factories import (
    TAX_FIELDS,
    application,
    invitation_token,
    platform_with_texts,
    staff,
)

pytestmark = pytest.mark.django_db


def _host(platform: object) -> dict[str, str]:
    return {"host": f"{platform.slug}.localhost"}  # type: ignore[attr-defined]


def test_the_page_is_linked_from_the_footer_and_an_application_is_confirmed(
    django_capture_on_commit_callbacks: object,
) -> None:
    platform = platform_with_texts()
    browser = Client()
    home = browser.get("/", headers=_host(platform)).content.decode()
    assert 'href="/berater-werden/"' in home
    page = browser.get("/berater-werden/", headers=_host(platform))
    assert page.status_code == 200
    text = page.content.decode()
    assert "Berater werden bei" in text
    assert "Kartenlegen" in text
    assert "Beraterbedingungen" in text
    category = Category.objects.get(platform=platform)
    form = {
        "first_name": "Eve",
        "last_name": "<script>x</script>",
        "email": "eve@example.com",
        "display_name": "Eve",
        "categories": [category.pk],
        "about": "Zwanzig Jahre Erfahrung mit Karten, Menschen und schwierigen Fragen.",
        "sample_text": "Liebe Ratsuchende, die Karten raten zu Geduld – und zu einem Gespräch.",
    }
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        sent = browser.post("/berater-werden/", form, headers=_host(platform))
    assert sent.status_code == 302
    assert sent["Location"] == "/berater-werden/danke/"
    stored = PartnerApplication.objects.get()
    assert stored.last_name == "<script>x</script>"  # kept as text, escaped wherever shown
    assert list(stored.categories.all()) == [category]
    assert mail.outbox[-1].to == ["eve@example.com"]
    assert mail.outbox[-1].extra_headers["X-Sprechzeit-Mail"] == "partner_application_received"
    done = browser.get("/berater-werden/danke/", headers=_host(platform))
    assert "Vielen Dank für Ihre Bewerbung" in done.content.decode()
    bot = browser.post("/berater-werden/", {**form, "website": "spam"}, headers=_host(platform))
    assert bot.status_code == 400
    assert PartnerApplication.objects.count() == 1
    too_long = browser.post(
        "/berater-werden/", {**form, "about": "x" * 2001}, headers=_host(platform)
    )
    assert too_long.status_code == 400
    assert PartnerApplication.objects.count() == 1


def test_the_invitation_and_the_onboarding_in_the_portal(
    django_capture_on_commit_callbacks: object,
) -> None:
    platform = platform_with_texts()
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        accepted = services.application_accept(
            application_id=application(platform=platform).pk, actor=staff(), rate_minor=199
        )
    url = f"/berater-werden/einladung/{invitation_token()}/"
    browser = Client()
    page = browser.get(url, headers=_host(platform))
    assert page.status_code == 200
    body = page.content.decode()
    assert "<svg" in body
    secret = body.split('data-secret="')[1].split('"')[0]
    code = f"{totp(base64.b32decode(secret + '=' * (-len(secret) % 8))):06d}"
    mismatch = browser.post(
        url,
        {"password": "ein-gutes-passwort-1", "password_again": "anders", "token": code},
        headers=_host(platform),
    )
    assert mismatch.status_code == 400
    done = browser.post(
        url,
        {
            "password": "ein-gutes-passwort-1",
            "password_again": "ein-gutes-passwort-1",
            "token": code,
        },
        headers=_host(platform),
    )
    assert done.status_code == 302
    assert done["Location"] == "/sicherheit/wiederherstellungscodes/"
    codes = browser.get("/sicherheit/wiederherstellungscodes/", headers=_host(platform))
    assert "/partner/einrichtung/" in codes.content.decode()
    assert browser.get(url, headers=_host(platform)).status_code == 400  # used up

    terms = browser.get("/partner/einrichtung/", headers=_host(platform)).content.decode()
    assert "Vereinbarung über das Gutschriftsverfahren" in terms
    assert "§ 14 Abs. 2" in terms
    one_box = browser.post("/partner/einrichtung/", {"accept_terms": "on"}, headers=_host(platform))
    assert one_box.status_code == 400
    assert not Consent.objects.exists()
    browser.post(
        "/partner/einrichtung/",
        {"accept_terms": "on", "accept_self_billing": "on"},
        headers=_host(platform),
    )
    assert Consent.objects.filter(user=accepted.partner.user).count() == 2  # type: ignore[union-attr]
    tax = browser.get("/partner/einrichtung/", headers=_host(platform)).content.decode()
    assert 'name="iban"' in tax
    browser.post("/partner/einrichtung/", dict(TAX_FIELDS), headers=_host(platform))
    finished = browser.get("/partner/einrichtung/", headers=_host(platform)).content.decode()
    assert "Ihr Konto ist eingerichtet" in finished
    assert ListingRevision.objects.filter(kind="initial", status="pending").count() == 1


def test_a_made_up_invitation_is_refused() -> None:
    platform = platform_with_texts()
    page = Client().get("/berater-werden/einladung/erfunden/", headers=_host(platform))
    assert page.status_code == 400
    assert "Einladungslink ist ungültig" in page.content.decode()
