"""Partner portal: payouts and what is carried forward; staff download the SEPA file."""

from __future__ import annotations

import pytest
from django.test import Client

from sprechzeit.accounts import roles
from sprechzeit.accounts.models import User
from sprechzeit.accounts.services import staff_create
from sprechzeit.accounts.tests.factories import login_verified
from sprechzeit.core import clock
from sprechzeit.core.money import Money, money_text
from sprechzeit.payouts import services
from sprechzeit.payouts.models import PayoutPolicy
from sprechzeit.payouts.tests.factories import (
    at,
    busy_scene,
    close_month,
    paying_platform,
    settled,
    tax_profile,
)
from sprechzeit.platforms.models import PlatformDomain

pytestmark = pytest.mark.django_db


def test_payout_pages() -> None:
    platform = paying_platform()
    PlatformDomain.objects.create(platform=platform, host="pay.localhost", is_primary=True)
    PayoutPolicy.objects.create(legal_entity=platform.legal_entity, threshold_minor=1000)
    paid = busy_scene(platform=platform)
    small = busy_scene(platform=platform)
    tax_profile(paid.partner)
    tax_profile(small.partner)
    settled(paid, seconds=1800, when=at(2026, 10, 10))
    settled(small, seconds=30, when=at(2026, 10, 10))
    close_month()
    with clock.frozen_at(at(2026, 11, 3)):
        run = services.payout_run_create(legal_entity=platform.legal_entity)
    client = Client(HTTP_HOST="pay.localhost")
    client.force_login(paid.partner.user)
    page = client.get("/partner/auszahlungen/")
    assert page.status_code == 200
    assert run.payouts.get().end_to_end_id.encode() in page.content
    # Amounts as the site writes them everywhere ("12,34 €"), never "12.34 EUR".
    payout = run.payouts.get()
    assert money_text(Money(payout.amount_minor, payout.currency)).encode() in page.content
    assert b"EUR" not in page.content
    client.force_login(small.partner.user)
    page = client.get("/partner/auszahlungen/")
    assert b"vorgetragen" in page.content
    assert "Auszahlung ab 10,00\xa0€".encode() in page.content
    assert b"EUR" not in page.content
    assert run.payouts.get().end_to_end_id.encode() not in page.content
    staff_file = f"/verwaltung/auszahlungen/{run.pk}/datei/"
    network = {"host": "127.0.0.1"}  # staff pages exist on the network's hosts only
    assert client.get(staff_file).status_code == 404
    assert client.get(staff_file, headers=network).status_code == 403  # a partner
    visitor = Client()
    assert visitor.get(staff_file, headers=network).status_code == 302  # log in first
    # The SEPA file names every partner's IBAN: accounting only; support, risk, admin and
    # a staff login without a role get a 403 (ids are sequential).
    for role in (roles.SUPPORT, roles.RISK, roles.ADMIN, None):
        staff = (
            staff_create(email=f"{role}@example.com", password=None, role=role)
            if role
            else User.objects.create_user(
                email="ohne@example.com", password=None, kind="staff", is_staff=True
            )
        )
        login_verified(client, staff)
        assert client.get(staff_file, headers=network).status_code == 403, role
    login_verified(
        client, staff_create(email="finanz@example.com", password=None, role=roles.ACCOUNTING)
    )
    response = client.get(staff_file, headers=network)
    assert response.status_code == 200
    assert response.content == bytes(run.file or b"")
