"""The console's partners area as each role uses it: the application queue (owner, age,
SLA colour, history) with accept and reject, the listing review, the partner file with
money shown as money, adjustments with a second approver, suspension, payout runs.
Every action writes exactly one audit entry."""

from __future__ import annotations

import pytest
from django.core import mail

from sprechzeit.accounts.models import Partner
from sprechzeit.accounts.tests.factories import partner_with_listing
from sprechzeit.audit.models import AuditEntry
from sprechzeit.backoffice.tests.conftest import StaffClient
from sprechzeit.core import clock
from sprechzeit.ledger.tests.helpers import assert_ledger_sound
from sprechzeit.partners.models import (
    AdjustmentRequest,
    ListingRevision,
    PartnerApplication,
    PayoutRunSent,
)
from sprechzeit.partners.tests.factories import application, onboarded, platform_with_texts, staff
from sprechzeit.payouts.models import PayoutRun
from sprechzeit.payouts.tests.factories import (
    at,
    busy_scene,
    close_month,
    paying_platform,
    settled,
    tax_profile,
)
from sprechzeit.platforms.tests.factories import platform_create

pytestmark = pytest.mark.django_db
NET = {"host": "127.0.0.1"}


def test_support_works_the_application_queue_to_an_invitation(
    staff_client: StaffClient, django_capture_on_commit_callbacks: object
) -> None:
    platform = platform_with_texts()
    waiting = application(platform=platform)
    browser, user = staff_client("support")
    queue = browser.get("/backoffice/partner/bewerbungen/", headers=NET)
    assert queue.status_code == 200
    text = queue.content.decode()
    assert "Bea Beispiel" in text
    assert "sla sla-ok" in text
    detail = f"/backoffice/partner/bewerbungen/{waiting.pk}/"
    assert browser.post(f"{detail}uebernehmen/", headers=NET).status_code == 302
    page = browser.get(detail, headers=NET).content.decode()
    assert user.email in page
    assert "queue.claim" in page
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        answer = browser.post(f"{detail}annehmen/", {"rate": "2,49"}, headers=NET)
    assert answer.status_code == 302
    waiting.refresh_from_db()
    assert waiting.status == PartnerApplication.Status.ACCEPTED
    assert waiting.listing is not None
    assert waiting.listing.rate_minor == 249
    assert [m.extra_headers["X-Sprechzeit-Mail"] for m in mail.outbox][-1] == "partner_invitation"
    entries = AuditEntry.objects.filter(action="partner.application_accept")
    assert entries.count() == 1
    assert entries[0].ip == "198.51.100.7"
    again = browser.post(f"{detail}annehmen/", {"rate": "2,49"}, headers=NET, follow=True)
    assert "schon entschieden" in again.content.decode()
    assert AuditEntry.objects.filter(action="partner.application_accept").count() == 1


def test_a_rejection_needs_a_reason_and_accounting_may_not_decide(
    staff_client: StaffClient,
) -> None:
    waiting = application(platform=platform_with_texts())
    browser, _user = staff_client("admin")
    url = f"/backoffice/partner/bewerbungen/{waiting.pk}/ablehnen/"
    refused = browser.post(url, {"reason": ""}, headers=NET, follow=True)
    assert "Bitte geben Sie eine Begründung an" in refused.content.decode()
    assert browser.post(url, {"reason": "Passt nicht"}, headers=NET).status_code == 302
    waiting.refresh_from_db()
    assert waiting.status == PartnerApplication.Status.REJECTED
    accounting, _ = staff_client("accounting")
    assert accounting.get("/backoffice/partner/bewerbungen/", headers=NET).status_code == 403
    assert AuditEntry.objects.filter(action="partner.application_reject").count() == 1


def test_a_new_listing_goes_live_on_approval_in_the_console(staff_client: StaffClient) -> None:
    platform = platform_with_texts()
    partner = onboarded(platform=platform, actor=staff())
    revision = ListingRevision.objects.get(listing__partner=partner)
    browser, _user = staff_client("support")
    queue = browser.get("/backoffice/partner/profile/", headers=NET).content.decode()
    assert "Bea – Karten" in queue
    assert "neues Profil" in queue
    page = browser.get(f"/backoffice/partner/profile/{revision.pk}/", headers=NET)
    assert page.status_code == 200
    assert "Jetzt öffentlich" in page.content.decode()
    assert (
        browser.post(
            f"/backoffice/partner/profile/{revision.pk}/freigeben/", headers=NET
        ).status_code
        == 302
    )
    revision.listing.refresh_from_db()
    assert revision.listing.is_published
    directory = browser.get("/berater/", headers={"host": f"{platform.slug}.localhost"})
    assert "Bea – Karten" in directory.content.decode()
    assert AuditEntry.objects.filter(action="listing.revision_approve").count() == 1


def test_the_partner_file_shows_money_and_takes_adjustments_with_four_eyes(
    staff_client: StaffClient,
) -> None:
    platform = platform_create()
    partner, _listing = partner_with_listing(platform=platform)
    first, _first_user = staff_client("accounting")
    second, _second_user = staff_client("admin")
    url = f"/backoffice/partner/berater/{partner.pk}/"
    small = {"platform": platform.pk, "kind": "bonus", "amount": "50,00", "reason": "Treue"}
    assert first.post(f"{url}anpassung/", small, headers=NET).status_code == 302
    page = first.get(url, headers=NET).content.decode()
    assert "50,00\xa0€" in page
    assert "Treue" in page
    big = {
        "platform": platform.pk,
        "kind": "correction",
        "amount": "250,00",
        "reason": "Nachzahlung",
    }
    first.post(f"{url}anpassung/", big, headers=NET)
    pending = AdjustmentRequest.objects.get(status=AdjustmentRequest.Status.PENDING)
    own = first.post(
        f"/backoffice/partner/anpassungen/{pending.pk}/freigeben/", headers=NET, follow=True
    )
    assert "zweite Person" in own.content.decode()
    listed = second.get("/backoffice/partner/berater/", headers=NET).content.decode()
    assert "Nachzahlung" in listed
    assert "250,00\xa0€" in listed
    assert (
        second.post(
            f"/backoffice/partner/anpassungen/{pending.pk}/freigeben/", headers=NET
        ).status_code
        == 302
    )
    pending.refresh_from_db()
    assert pending.status == AdjustmentRequest.Status.BOOKED
    assert "300,00\xa0€" in second.get(url, headers=NET).content.decode()  # what is owed now
    assert_ledger_sound()
    assert AuditEntry.objects.filter(action="partner.adjustment").count() == 2
    assert AuditEntry.objects.filter(action="partner.adjustment_approve").count() == 1
    support, _ = staff_client("support")
    assert support.get(url, headers=NET).status_code == 200
    assert support.post(f"{url}anpassung/", small, headers=NET).status_code == 403


def test_admin_suspends_and_reactivates_a_partner(staff_client: StaffClient) -> None:
    platform = platform_create()
    partner, listing = partner_with_listing(platform=platform)
    browser, _user = staff_client("admin")
    url = f"/backoffice/partner/berater/{partner.pk}/"
    browser.post(f"{url}sperren/", {"reason": "Beschwerden"}, headers=NET)
    partner.refresh_from_db()
    assert partner.suspended_at is not None
    public = browser.get(
        f"/berater/{listing.slug}/", headers={"host": f"{platform.slug}.localhost"}
    )
    assert public.status_code == 404
    browser.post(f"{url}entsperren/", {"reason": "geklärt"}, headers=NET)
    assert Partner.objects.get(pk=partner.pk).suspended_at is None
    assert [e.action for e in AuditEntry.objects.order_by("pk")] == [
        "partner.suspend",
        "partner.reactivate",
    ]


def test_accounting_starts_a_payout_run_downloads_it_and_marks_it_sent(
    staff_client: StaffClient,
) -> None:
    platform = paying_platform()
    s = busy_scene(platform=platform)
    tax_profile(s.partner)
    settled(s, seconds=1800, when=at(2026, 10, 10))
    close_month()
    browser, user = staff_client("accounting")
    page = browser.get("/backoffice/partner/auszahlungen/", headers=NET).content.decode()
    assert "Kontoauszug hochladen" in page
    assert "/admin/payments/bankstatement/upload/" in page
    with clock.frozen_at(at(2026, 11, 3)):
        started = browser.post(
            "/backoffice/partner/auszahlungen/starten/",
            {"legal_entity": platform.legal_entity_id},
            headers=NET,
        )
    assert started.status_code == 302
    run = PayoutRun.objects.get()
    listing = browser.get("/backoffice/partner/auszahlungen/", headers=NET).content.decode()
    assert run.message_id in listing
    file = browser.get(f"/backoffice/partner/auszahlungen/{run.pk}/datei/", headers=NET)
    assert file.status_code == 200
    assert b"pain.001.001.09" in file.content
    browser.post(f"/backoffice/partner/auszahlungen/{run.pk}/uebergeben/", headers=NET)
    assert PayoutRunSent.objects.get(run=run).sent_by == user
    assert AuditEntry.objects.filter(action__startswith="payout.").count() == 2
    assert_ledger_sound()
    support, _ = staff_client("support")
    assert support.get("/backoffice/partner/auszahlungen/", headers=NET).status_code == 403


@pytest.mark.parametrize("role", ["admin", "accounting"])
def test_adding_an_adjustment_in_the_admin_leads_to_the_partner_file(
    staff_client: StaffClient, role: str
) -> None:
    browser, _user = staff_client(role)
    answer = browser.get("/admin/statements/adjustment/add/", headers=NET)
    assert answer.status_code == 302
    assert answer["Location"] == "/backoffice/partner/berater/"
    support, _ = staff_client("support")
    assert support.get("/admin/statements/adjustment/add/", headers=NET).status_code == 403
