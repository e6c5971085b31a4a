"""The risk area of the console, as risk staff use it: the queues render with owner,
age and SLA colour; a dispute is walked to an outcome with evidence and a note; a refund
is refused above what is refundable and approved in part; four eyes; the unmatched
queue; a dunning case with an instalment plan and a write-off; the client's debt page.
Every action writes exactly one audit entry; the ledger check passes after each."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.test import Client
from pypdf import PdfWriter

from sprechzeit.audit.models import AuditEntry
from sprechzeit.collections.models import CaseStatus, DunningCase, PlanStatus
from sprechzeit.collections.services.refunds import risk_settings
from sprechzeit.collections.tests.factories import charged_back, eur, spend
from sprechzeit.ledger.tests.helpers import assert_ledger_sound
from sprechzeit.payments.models import DisputeStatus, RefundRequestStatus
from sprechzeit.payments.services.refunds import refund_request_create
from sprechzeit.payments.services.sandbox import sandbox_top_up
from sprechzeit.payments.tests.factories import client, host, sandbox_setup
from sprechzeit.wallets import services as wallets

pytestmark = pytest.mark.django_db
NET = {"host": "127.0.0.1"}


def _pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _entries() -> int:
    return AuditEntry.objects.count()


def test_a_dispute_from_queue_to_lost_with_evidence_note_and_claim(staff_client: Any) -> None:
    account, _policy, _payment, dispute = charged_back(top_up=3000, spent=2400)
    browser, user = staff_client("risk")
    page = browser.get("/backoffice/risiko/rueckbuchungen/", headers=NET).content.decode()
    assert f'data-dispute="{dispute.pk}"' in page
    assert "30,00" in page
    assert 'data-sla="ok"' in page
    base = f"/backoffice/risiko/rueckbuchungen/{dispute.pk}/"
    assert browser.get(base, headers=NET).status_code == 200
    before = _entries()
    browser.post(
        f"/backoffice/risiko/zustaendig/dispute/{dispute.pk}/", {"owner": "me"}, headers=NET
    )
    assert _entries() == before + 1
    browser.post(f"{base}notiz/", {"text": "Nutzung belegt"}, headers=NET)
    response = browser.post(
        f"{base}beleg/", {"file": io.BytesIO(_pdf()), "description": "Chatverlauf"}, headers=NET
    )
    assert response.status_code == 302
    refused = browser.post(
        f"{base}beleg/", {"file": io.BytesIO(b"MZ\x90\x00 not a pdf")}, headers=NET, follow=True
    )
    assert "Bitte einen Beleg als PDF" in refused.content.decode()
    assert _entries() == before + 3
    page = browser.get(base, headers=NET).content.decode()
    assert user.email in page
    assert "Nutzung belegt" in page
    assert f"beleg-{dispute.pk}-1.pdf" in page
    evidence = dispute.evidence.get()
    download = browser.get(f"/backoffice/risiko/belege/{evidence.pk}/", headers=NET)
    assert download["Content-Disposition"].startswith("attachment")
    assert download.content.startswith(b"%PDF-")
    response = browser.post(
        f"{base}entscheidung/", {"outcome": "lost", "reason": "keine Belege"}, headers=NET
    )
    case = DunningCase.objects.get(client_account=account)
    assert response["Location"] == f"/backoffice/risiko/mahnwesen/{case.pk}/"
    assert _entries() == before + 4
    dispute.refresh_from_db()
    assert dispute.status == DisputeStatus.LOST
    assert_ledger_sound()
    # The client's payment list shows the dispute.
    visitor = Client()
    visitor.force_login(account.user)
    wallet = visitor.get("/guthaben/", headers=host(account.platform)).content.decode()
    assert "zurückgebucht" in wallet
    assert "/guthaben/offen/" in wallet


def test_a_refund_refused_above_refundable_then_approved_in_part(staff_client: Any) -> None:
    platform, _config, policy = sandbox_setup()
    account = client(platform)
    sandbox_top_up(client_account=account, policy=policy, amount=eur(1000))
    request = refund_request_create(client_account=account, amount=eur(1000))
    spend(account, 995)
    browser, _user = staff_client("risk")
    queue = browser.get("/backoffice/risiko/erstattungen/", headers=NET).content.decode()
    assert "10,00" in queue
    assert "0,05" in queue
    base = f"/backoffice/risiko/erstattungen/{request.pk}/"
    page = browser.get(base, headers=NET).content.decode()
    assert "erstattbar sind zurzeit nur 0,05" in page
    refused = browser.post(f"{base}freigeben/", {"amount": "10"}, headers=NET, follow=True)
    text = refused.content.decode()
    assert "Erstattbar sind zurzeit höchstens 0,05" in text
    assert "Erledigt" not in text
    assert not AuditEntry.objects.exists()
    done = browser.post(f"{base}freigeben/", {"amount": "0,05"}, headers=NET, follow=True)
    assert "0,05" in done.content.decode()
    request.refresh_from_db()
    assert request.status == RefundRequestStatus.APPROVED
    assert AuditEntry.objects.get().action == "refund.approve"
    assert_ledger_sound()


def test_four_eyes_in_the_console(staff_client: Any) -> None:
    platform, _config, policy = sandbox_setup()
    account = client(platform)
    sandbox_top_up(client_account=account, policy=policy, amount=eur(20000))
    risk_settings(platform=platform).save()
    request = refund_request_create(client_account=account, amount=eur(15000))
    first, _ = staff_client("risk")
    second, _ = staff_client("risk")
    base = f"/backoffice/risiko/erstattungen/{request.pk}/"
    first.post(f"{base}freigeben/", {"amount": "150"}, headers=NET)
    again = first.post(f"{base}freigeben/", {}, headers=NET, follow=True).content.decode()
    assert "zweite Person" in again
    request.refresh_from_db()
    assert request.status == RefundRequestStatus.REQUESTED
    second.post(f"{base}freigeben/", {}, headers=NET)
    request.refresh_from_db()
    assert request.status == RefundRequestStatus.APPROVED
    assert list(AuditEntry.objects.order_by("pk").values_list("action", flat=True)) == [
        "refund.approve_first",
        "refund.approve",
    ]
    assert_ledger_sound()


def test_dunning_case_instalments_and_the_debt_page(staff_client: Any) -> None:
    account, policy, _payment, dispute = charged_back(top_up=3000, spent=2400)
    browser, user = staff_client("risk")
    browser.post(
        f"/backoffice/risiko/rueckbuchungen/{dispute.pk}/entscheidung/",
        {"outcome": "accepted"},
        headers=NET,
    )
    case = DunningCase.objects.get()
    queue = browser.get("/backoffice/risiko/mahnwesen/", headers=NET).content.decode()
    assert f'data-case="{case.pk}"' in queue
    assert "24,00" in queue
    base = f"/backoffice/risiko/mahnwesen/{case.pk}/"
    assert browser.get(base, headers=NET).status_code == 200
    bad = browser.post(f"{base}raten/", {"count": "x"}, headers=NET, follow=True)
    assert "Ratenplan hat 2 bis 12 Raten" in bad.content.decode()
    from django.utils import timezone  # noqa: PLC0415

    first_due = timezone.localdate().isoformat()
    browser.post(
        f"{base}raten/",
        {"count": "3", "interval": "14", "first_due": first_due, "mode": "offer"},
        headers=NET,
    )
    plan = case.plans.get()
    assert plan.status == PlanStatus.OFFERED
    visitor = Client()
    visitor.force_login(account.user)
    on = host(account.platform)
    page = visitor.get("/guthaben/offen/", headers=on).content.decode()
    assert "24,00" in page
    assert "Ratenzahlung annehmen" in page
    visitor.post("/guthaben/offen/ratenplan/", {"plan": plan.pk, "answer": "accept"}, headers=on)
    plan.refresh_from_db()
    assert plan.status == PlanStatus.ACTIVE
    page = visitor.get("/guthaben/offen/", headers=on).content.decode()
    assert "8,00" in page
    assert 'action="/guthaben/aufladen/"' in page
    # The pay button: a top-up of the instalment although the client is blocked.
    response = visitor.post(
        "/guthaben/aufladen/", {"channel": policy.pk, "amount": "8,00"}, headers=on
    )
    assert response.status_code == 302
    written = browser.post(f"{base}abschreiben/", {"reason": "Insolvenz"}, headers=NET)
    assert written.status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.WRITTEN_OFF
    assert wallets.wallet_balance(client_account=account).receivable == eur(0)
    assert AuditEntry.objects.filter(actor=user).count() == 3  # outcome, offer, write-off
    assert_ledger_sound()


def test_the_unmatched_queue_links_the_statement_upload(staff_client: Any) -> None:
    risk, _user = staff_client("risk")
    page = risk.get("/backoffice/risiko/ungeklaert/", headers=NET).content.decode()
    assert "Keine ungeklärten Umsätze." in page
    assert "/admin/payments/bankstatement/upload/" not in page  # not risk's to upload
    books, _user = staff_client("accounting")
    page = books.get("/backoffice/risiko/ungeklaert/", headers=NET).content.decode()
    assert "/admin/payments/bankstatement/upload/" in page


@pytest.mark.parametrize("role", ["support", "accounting"])
def test_other_roles_do_not_see_the_risk_queues(staff_client: Any, role: str) -> None:
    browser, _user = staff_client(role)
    assert browser.get("/backoffice/risiko/rueckbuchungen/", headers=NET).status_code in (403, 404)


def test_an_unmatched_bank_line_is_assigned_from_the_queue(staff_client: Any) -> None:
    from pathlib import Path  # noqa: PLC0415

    from sprechzeit.payments.models import BankEntry, BankEntryStatus, ProviderKind  # noqa: PLC0415
    from sprechzeit.payments.services import bank  # noqa: PLC0415
    from sprechzeit.payments.tests.factories import (  # noqa: PLC0415
        platform_with_channels,
        provider_config,
    )

    platform = platform_with_channels()
    config = provider_config(platform, ProviderKind.BANK_TRANSFER)
    anna = client(platform)
    data = Path(__file__).resolve().parents[2] / "payments/tests/data/camt053_topups_returns.xml"
    bank.statement_import(config=config, file_name="a.xml", content=data.read_bytes())
    entry = BankEntry.objects.get(amount_minor=1000, status=BankEntryStatus.REVIEW)
    browser, _user = staff_client("accounting")
    page = browser.get("/backoffice/risiko/ungeklaert/", headers=NET).content.decode()
    assert f'data-entry="{entry.pk}"' in page
    assert "10,00" in page
    browser.post(
        f"/backoffice/risiko/ungeklaert/umsatz/{entry.pk}/zuordnen/",
        {"customer_number": anna.customer_number},
        headers=NET,
    )
    entry.refresh_from_db()
    assert entry.status == BankEntryStatus.CREDITED
    assert wallets.wallet_balance(client_account=anna).paid == eur(1000)
    assert AuditEntry.objects.get().action == "bank_entry.assign"
    assert_ledger_sound()
