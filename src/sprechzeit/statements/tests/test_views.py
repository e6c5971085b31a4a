"""Partner portal: a partner sees and downloads their own documents only."""

from __future__ import annotations

import pytest
from django.test import Client

from sprechzeit.accounts import roles
from sprechzeit.accounts.models import User
from sprechzeit.accounts.services import staff_create
from sprechzeit.accounts.tests.factories import login_verified
from sprechzeit.core import clock
from sprechzeit.core.money import Money, money_text
from sprechzeit.legal.selectors import self_billing_consent_for
from sprechzeit.legal.services import legal_documents_start
from sprechzeit.platforms.tests.factories import platform_create
from sprechzeit.statements import services
from sprechzeit.statements.models import Statement
from sprechzeit.statements.tests.factories import at, busy_scene, settled, tax_profile
from sprechzeit.statements.vat import VatStatus

pytestmark = pytest.mark.django_db


def test_partner_downloads_own_documents_only() -> None:
    platform = platform_create(hosts=("portal.localhost",))
    mine = busy_scene(platform=platform)
    theirs = busy_scene(platform=platform)
    for s in (mine, theirs):
        tax_profile(s.partner, VatStatus.SMALL_BUSINESS)
        settled(s, seconds=300, when=at(2026, 10, 7))
    with clock.frozen_at(at(2026, 11, 2)):
        services.statements_close(period="2026-10")
    own = Statement.objects.get(partner=mine.partner)
    other = Statement.objects.get(partner=theirs.partner)
    client = Client(HTTP_HOST="portal.localhost")
    assert client.get("/partner/gutschriften/").status_code == 302  # login first
    client.force_login(mine.partner.user)
    page = client.get("/partner/gutschriften/")
    assert page.status_code == 200
    assert own.number is not None
    assert own.number.encode() in page.content
    gross = money_text(Money(own.gross_minor, own.currency))
    assert gross.encode() in page.content  # "12,34 €", never "12.34 EUR"
    assert b"EUR" not in page.content
    for kind in ("pdf", "xml", "xrechnung"):
        response = client.get(f"/partner/gutschriften/{own.pk}/{kind}/")
        assert response.status_code == 200, kind
    assert client.get(f"/partner/gutschriften/{own.pk}/pdf/").content.startswith(b"%PDF")
    assert client.get(f"/partner/gutschriften/{other.pk}/pdf/").status_code == 404
    assert client.get(f"/partner/gutschriften/{own.pk}/exe/").status_code == 404
    client.force_login(mine.client.user)  # a client, not a partner: the access table
    assert client.get("/partner/gutschriften/").status_code == 403


@pytest.mark.parametrize(
    ("role", "status"),
    [(roles.ACCOUNTING, 200), (roles.SUPPORT, 403), (roles.RISK, 403), (roles.ADMIN, 403)],
)
def test_staff_download_needs_the_download_permission(role: str, status: int) -> None:
    """Credit notes name partners' incomes and bank data: accounting downloads them, the
    other roles (and a staff login without a role) get a 403, whatever the id."""
    platform = platform_create(hosts=("portal3.localhost",))
    scene = busy_scene(platform=platform)
    tax_profile(scene.partner, VatStatus.SMALL_BUSINESS)
    settled(scene, seconds=300, when=at(2026, 10, 7))
    with clock.frozen_at(at(2026, 11, 2)):
        services.statements_close(period="2026-10")
    statement = Statement.objects.get(partner=scene.partner)
    staff = Client(HTTP_HOST="127.0.0.1")  # the back office is on the network's host
    login_verified(staff, staff_create(email=f"{role}@example.com", password=None, role=role))
    for kind in ("pdf", "xml", "xrechnung"):
        response = staff.get(f"/verwaltung/gutschriften/{statement.pk}/{kind}/")
        assert response.status_code == status, kind
        assert (response.content.startswith(b"%PDF")) is (status == 200 and kind == "pdf")
    roleless = User.objects.create_user(
        email="ohne-rolle@example.com", password=None, kind=User.Kind.STAFF, is_staff=True
    )
    login_verified(staff, roleless)
    assert staff.get(f"/verwaltung/gutschriften/{statement.pk}/pdf/").status_code == 403


def test_partner_enters_tax_data_with_checks() -> None:
    platform = platform_create(hosts=("portal2.localhost",))
    s = busy_scene(platform=platform)
    entity_id = platform.legal_entity_id
    client = Client(HTTP_HOST="portal2.localhost")
    client.force_login(s.partner.user)
    page = client.get("/partner/steuerdaten/")
    assert page.status_code == 200
    assert b"Steuer- und Bankdaten fehlen" in page.content
    form = {
        "legal_name": "Erika Beraterin",
        "street": "Beraterweg",
        "building_number": "1",
        "postal_code": "10115",
        "city": "Berlin",
        "country": "DE",
        "vat_status": "regular",
        "tax_number": "",
        "vat_id": "DE136695976",
        "iban": "DE02 1203 0000 0000 2020 50",  # wrong check digits
        "account_holder": "Erika Beraterin",
        "language": "de",
        "accept_self_billing": "on",
    }
    page = client.post("/partner/steuerdaten/", form)
    assert "Die IBAN ist ungültig".encode() in page.content
    form["iban"] = "DE02 1203 0000 0000 2020 51"
    page = client.post("/partner/steuerdaten/", form)
    assert b"Gespeichert" in page.content
    profile = s.partner.tax_profile
    profile.refresh_from_db()
    assert profile.iban == "DE02120300000000202051"
    # no agreement issued on the platform yet: nothing to consent to, the note waits
    assert self_billing_consent_for(user=s.partner.user, legal_entity_id=entity_id) is None
    assert "Die Zustimmung zum Gutschriftsverfahren für".encode() in page.content
    legal_documents_start(platform=s.platform)
    page = client.post("/partner/steuerdaten/", form)
    consent = self_billing_consent_for(user=s.partner.user, legal_entity_id=entity_id)
    assert consent is not None
    assert consent.document.platform == s.platform
    assert profile.__class__.objects.get(pk=profile.pk).self_billing_version == "1"
    assert b"Gutschriftsverfahren mit" in page.content
    assert profile.iban_verified_at is not None


def test_staff_admin_checks_tax_data_and_lists_held() -> None:
    from sprechzeit.statements.admin import PartnerTaxProfileForm  # noqa: PLC0415

    s = busy_scene()
    form = PartnerTaxProfileForm(
        data={
            "partner": s.partner.pk,
            "legal_name": "Erika",
            "street": "Weg",
            "postal_code": "10115",
            "city": "Berlin",
            "country": "DE",
            "vat_id": "DE000000000",
            "vat_status": "regular",
            "iban": "DE02120300000000202051",
            "account_holder": "Erika",
            "language": "de",
        }
    )
    assert not form.is_valid()
    assert "vat_id" in form.errors
    settled(s, seconds=300, when=at(2026, 10, 7))
    with clock.frozen_at(at(2026, 11, 2)):
        services.statements_close(period="2026-10")
    # the admin list of held statements (the admin itself sits behind 2FA)
    from sprechzeit.statements.selectors import held_statements  # noqa: PLC0415

    (held,) = held_statements()
    assert "Steuer- und Bankdaten fehlen" in held.held_reason


def test_partner_with_saved_profile_opens_and_saves_tax_page() -> None:
    """Regression: the page was a 500 for every partner with a saved profile (the form's
    agreement box is no model field)."""
    platform = platform_create(hosts=("portal3.localhost",))
    s = busy_scene(platform=platform)
    profile = tax_profile(s.partner, VatStatus.SMALL_BUSINESS)
    accepted_at = profile.self_billing_accepted_at
    client = Client(HTTP_HOST="portal3.localhost")
    client.force_login(s.partner.user)
    page = client.get("/partner/steuerdaten/")
    assert page.status_code == 200
    form = page.context["form"]
    assert form.initial["legal_name"] == profile.legal_name
    assert form.initial["iban"] == profile.iban
    assert form.initial["accept_self_billing"] is True
    assert b'name="accept_self_billing"' in page.content
    assert b"checked" in page.content
    data = {name: value for name, value in form.initial.items() if value not in (None, "")}
    data["accept_self_billing"] = "on"
    data["iban"] = "DE89 3704 0044 0532 0130 00"
    page = client.post("/partner/steuerdaten/", data)
    assert page.status_code == 200
    assert b"Gespeichert" in page.content, page.content.decode()[:3000]
    profile.refresh_from_db()
    assert profile.iban == "DE89370400440532013000"
    assert profile.self_billing_accepted_at == accepted_at  # the agreement keeps its date
    assert client.get("/partner/steuerdaten/").status_code == 200
