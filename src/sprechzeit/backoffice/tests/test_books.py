"""The accountant's console page: VAT return figures of a month from the ledger, the
DATEV posting batch as a download (recorded in the audit trail), clear errors."""

from __future__ import annotations

import pytest

from sprechzeit.accounting.vat import vat_return
from sprechzeit.audit.models import AuditEntry
from sprechzeit.backoffice.tests.conftest import StaffClient
from sprechzeit.core import clock
from sprechzeit.platforms.models import LegalEntity
from sprechzeit.statements.tests.factories import at, busy_scene, settled

pytestmark = pytest.mark.django_db


def _month() -> LegalEntity:
    scene = busy_scene()
    entity = scene.platform.legal_entity
    assert entity is not None
    entity.datev_consultant_number = 1001
    entity.datev_client_number = 42
    entity.save(update_fields=["datev_consultant_number", "datev_client_number"])
    settled(scene, seconds=600, when=at(2026, 10, 10))
    return entity


def test_the_vat_figures_of_a_month_as_money(staff_client: StaffClient) -> None:
    entity = _month()
    accounting, _ = staff_client("accounting")
    with clock.frozen_at(at(2026, 11, 3)):
        page = accounting.get(f"/backoffice/buchhaltung/?entity={entity.pk}&period=2026-10")
    assert page.status_code == 200
    text = page.content.decode()
    expected = vat_return(legal_entity=entity, period="2026-10")
    assert expected.kz81_tax > 0
    euros, cents = divmod(expected.kz81_tax, 100)
    assert f'data-kz="81 Steuer">{euros},{cents:02d}\xa0€' in text
    assert "Mit dem Hauptbuch abgestimmt." in text


def test_the_datev_batch_downloads_and_is_recorded(staff_client: StaffClient) -> None:
    entity = _month()
    accounting, user = staff_client("accounting")
    with clock.frozen_at(at(2026, 11, 3)):
        response = accounting.get(
            f"/backoffice/buchhaltung/datev/?entity={entity.pk}&period=2026-10"
        )
    assert response.status_code == 200
    assert response.content.startswith(b'"EXTF";700;21;')
    assert response["Content-Disposition"].startswith('attachment; filename="EXTF_')
    entry = AuditEntry.objects.get(action="books.datev_download")
    assert entry.actor == user
    assert entry.after is not None
    assert entry.after["period"] == "2026-10"
    assert entry.after["bookings"] > 0


def test_bad_requests_get_a_clear_answer(staff_client: StaffClient) -> None:
    entity = _month()
    accounting, _ = staff_client("accounting")
    bad = accounting.get(f"/backoffice/buchhaltung/?entity={entity.pk}&period=2026-13")
    assert bad.status_code == 400
    entity.datev_consultant_number = None
    entity.save(update_fields=["datev_consultant_number"])
    missing = accounting.get(f"/backoffice/buchhaltung/datev/?entity={entity.pk}&period=2026-10")
    assert missing.status_code == 400
    assert not AuditEntry.objects.filter(action="books.datev_download").exists()
    support, _ = staff_client("support")
    assert support.get("/backoffice/buchhaltung/").status_code == 403
