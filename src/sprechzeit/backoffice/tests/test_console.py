"""The console's door, menu and audit trail pages."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.test import Client

from sprechzeit.accounts.services import staff_create
from sprechzeit.audit.services import audit_record
from sprechzeit.backoffice.queues import age_text, sla_colour
from sprechzeit.backoffice.tests.conftest import StaffClient
from sprechzeit.core import clock
from sprechzeit.platforms.tests.factories import platform_create

pytestmark = pytest.mark.django_db


def test_staff_without_second_factor_go_to_the_log_in() -> None:
    user = staff_create(email="nofactor@staff.example", password="pw-long-enough-1", role="admin")
    browser = Client()
    browser.force_login(user, backend="sprechzeit.accounts.backends.PlatformEmailBackend")
    response = browser.get("/backoffice/")
    assert response.status_code == 302
    assert response["Location"] == "/anmelden/?next=/backoffice/"


def test_the_menu_shows_what_the_role_may_open(staff_client: StaffClient) -> None:
    support, _ = staff_client("support")
    page = support.get("/backoffice/").content.decode()
    assert "Übersicht" in page
    assert 'href="/backoffice/protokoll/"' not in page  # admins only
    assert 'data-figure="topups"' not in page  # no money figures for support
    admin, _ = staff_client("admin")
    page = admin.get("/backoffice/").content.decode()
    assert 'href="/backoffice/protokoll/"' in page
    assert 'data-figure="topups"' in page


def test_the_console_is_not_on_a_platform_host(staff_client: StaffClient) -> None:
    platform_create(slug="alpha", hosts=("alpha.localhost",))
    admin, _ = staff_client("admin")
    assert admin.get("/backoffice/", HTTP_HOST="alpha.localhost").status_code in (403, 404)


def test_the_audit_trail_lists_filters_and_exports(staff_client: StaffClient) -> None:
    admin, user = staff_client("admin")
    platform = platform_create(slug="alpha", hosts=("alpha.localhost",))
    audit_record(
        actor=user,
        action="client.block",
        target=platform,
        reason="Betrugsverdacht",
        ip="203.0.113.9",
    )
    audit_record(actor=user, action="goodwill.grant", target=platform, after={"amount": "5,00 €"})
    page = admin.get("/backoffice/protokoll/?action=client.").content.decode()
    assert "client.block" in page
    assert "Betrugsverdacht" in page
    assert "goodwill.grant" not in page
    response = admin.get("/backoffice/protokoll.csv")
    assert response.status_code == 200
    body = b"".join(response.streaming_content)  # type: ignore[attr-defined]
    rows = list(csv.reader(io.StringIO(body.decode())))
    assert rows[0][:4] == ["at", "actor", "roles", "action"]
    actions = sorted(row[3] for row in rows[1:])
    assert actions == ["client.block", "goodwill.grant"]
    assert all(row[1] == user.email and row[2] == "admin" for row in rows[1:])
    assert admin.get("/backoffice/protokoll/?from=2026-13-40").status_code == 400


def test_only_admins_read_the_audit_trail(staff_client: StaffClient) -> None:
    for role in ("support", "risk", "accounting"):
        browser, _ = staff_client(role)
        assert browser.get("/backoffice/protokoll/").status_code == 403


def test_sla_colours_and_ages() -> None:
    now = clock.now()
    day = timedelta(hours=24)
    assert sla_colour(now - timedelta(hours=1), now=now, sla=day) == "ok"
    assert sla_colour(now - timedelta(hours=20), now=now, sla=day) == "due"
    assert sla_colour(now - timedelta(hours=25), now=now, sla=day) == "late"
    assert age_text(now - timedelta(hours=26, minutes=5), now=now) == "1 d 2 h"
    assert age_text(now - timedelta(minutes=7), now=now) == "7 min"
