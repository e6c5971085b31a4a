"""The support console: the contact queue and a thread answered by mail, reported
ratings hidden, the client file as each role sees it, transcripts (audited), goodwill
over the support limit approved by a second person."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail

from sprechzeit.audit.models import AuditEntry
from sprechzeit.backoffice.tests.conftest import StaffClient
from sprechzeit.consultations.models import Consultation, Rating
from sprechzeit.consultations.services import (
    chat_message_create,
    consultation_accept,
    consultation_end,
    consultation_request,
)
from sprechzeit.consultations.tests.factories import scene
from sprechzeit.ledger.tests.helpers import assert_ledger_sound
from sprechzeit.platforms.tests.factories import platform_create
from sprechzeit.support.models import GoodwillCredit
from sprechzeit.support.services import rating_report
from sprechzeit.support.tests.factories import contact_message, rated
from sprechzeit.wallets import services as wallets
from sprechzeit.wallets.tests.factories import client_with_wallet, eur

pytestmark = pytest.mark.django_db


def test_a_contact_message_is_claimed_and_answered_from_the_console(
    staff_client: StaffClient, django_capture_on_commit_callbacks: Any
) -> None:
    platform = platform_create(slug="alpha", contact_email="team@alpha.example")
    client = client_with_wallet(platform=platform, email="kundin@example.com")
    message = contact_message(platform, email="kundin@example.com")
    browser, agent = staff_client("support")
    page = browser.get("/backoffice/support/nachrichten/").content.decode()
    assert "Aufladung fehlt" in page
    assert 'class="sla sla-ok"' in page
    url = f"/backoffice/support/nachrichten/{message.pk}/"
    page = browser.get(url).content.decode()
    assert f'href="/backoffice/support/kunden/{client.pk}/"' in page  # linked to the client
    assert browser.post(url, {"action": "claim"}).status_code == 302
    assert agent.email in browser.get("/backoffice/support/nachrichten/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = browser.post(
            url, {"action": "reply", "body": "Ihr Geld ist angekommen.", "close": "on"}
        )
    assert response.status_code == 302
    [sent] = mail.outbox
    assert sent.to == ["kundin@example.com"]
    assert sent.from_email.endswith("<team@alpha.example>")
    page = browser.get(url).content.decode()
    assert "Ihr Geld ist angekommen." in page
    assert "queue.claim" in page
    message.refresh_from_db()
    assert message.handled
    assert "Aufladung fehlt" not in browser.get("/backoffice/support/nachrichten/").content.decode()
    assert list(AuditEntry.objects.order_by("id").values_list("action", flat=True)) == [
        "queue.claim",
        "contact.reply",
    ]
    empty = browser.post(url, {"action": "reply", "body": ""})
    assert empty.status_code == 400


def test_accounting_cannot_open_the_contact_queue(staff_client: StaffClient) -> None:
    browser, _ = staff_client("accounting")
    assert browser.get("/backoffice/support/nachrichten/").status_code in (403, 404)


def test_a_reported_rating_is_hidden_from_the_console(staff_client: StaffClient) -> None:
    s = scene(balance_minor=5000)
    rating = rated(s, 1, "Unverschämt!")
    rating_report(reporter=s.partner.user, rating=rating, reason="offensive")
    browser, _ = staff_client("support")
    assert "Unverschämt!" in browser.get("/backoffice/support/bewertungen/").content.decode()
    url = f"/backoffice/support/bewertungen/{rating.pk}/"
    assert "beleidigend oder unsachlich" in browser.get(url).content.decode()  # the reason
    assert browser.post(url, {"action": "hide", "reason": ""}).status_code == 302  # refused
    assert Rating.objects.get(pk=rating.pk).hidden_at is None
    assert browser.post(url, {"action": "hide", "reason": "Beleidigung"}).status_code == 302
    hidden = Rating.objects.get(pk=rating.pk)
    assert hidden.hidden_at is not None
    assert hidden.hidden_reason == "Beleidigung"
    page = browser.get("/backoffice/support/bewertungen/").content.decode()
    assert "Keine offenen Meldungen." in page
    assert "Beleidigung" in page


def _chatted(s: Any) -> Consultation:
    consultation = consultation_request(client=s.client, listing=s.listing)
    consultation = consultation_accept(consultation=consultation, partner=s.partner)
    chat_message_create(consultation=consultation, role="client", body="Geheimes Thema")
    return consultation_end(
        consultation=consultation, reason=Consultation.EndReason.CLIENT, at_second=200
    )


def test_the_client_file_per_role_and_transcripts_logged(staff_client: StaffClient) -> None:
    s = scene(balance_minor=1250)
    consultation = _chatted(s)
    file_url = f"/backoffice/support/kunden/{s.client.pk}/"
    transcript = f"{file_url}beratung/{consultation.pk}/chat/"
    accounting, _ = staff_client("accounting")
    page = accounting.get(file_url).content.decode()
    assert s.client.customer_number in page
    assert "€" in page
    assert "Chatverlauf lesen" not in page
    assert 'name="action"' not in page
    assert accounting.get(transcript).status_code in (403, 404)
    search = accounting.get(
        "/backoffice/support/kunden/", {"platform": str(s.platform.pk), "q": s.client.user.email}
    ).content.decode()
    assert f'href="{file_url}"' in search
    support, agent = staff_client("support")
    assert "Chatverlauf lesen" in support.get(file_url).content.decode()
    assert "Geheimes Thema" in support.get(transcript).content.decode()
    [entry] = AuditEntry.objects.filter(action="client.transcript_read")
    assert entry.actor == agent
    risk, _ = staff_client("risk")
    assert risk.get(transcript).status_code in (403, 404)


def test_client_file_actions_and_their_refusals(staff_client: StaffClient) -> None:
    client = client_with_wallet()
    url = f"/backoffice/support/kunden/{client.pk}/"
    support, _ = staff_client("support")
    action = f"{url}aktion/"
    support.post(action, {"action": "note", "text": "Rückruf erbeten"})
    support.post(action, {"action": "block", "reason": "Verdacht"})
    support.post(action, {"action": "exclusion", "until": "2099-01-31", "reason": "Wunsch"})
    refused = support.post(action, {"action": "exclusion", "until": "2099-01-01", "reason": "x"})
    assert refused.status_code == 302  # back to the file with the message
    page = support.get(url).content.decode()
    assert "Rückruf erbeten" in page
    assert "data-blocked" in page
    assert "nur verlängert" in page  # the refusal's message
    assert support.post(f"{url}entsperren/", {"reason": "x"}).status_code in (403, 404)
    risk, _ = staff_client("risk")
    assert risk.post(f"{url}entsperren/", {"reason": "geklärt"}).status_code == 302
    assert "data-blocked" not in risk.get(url).content.decode()
    actions = list(AuditEntry.objects.order_by("id").values_list("action", flat=True))
    assert actions == ["client.note", "client.block", "client.exclusion", "client.unblock"]


def test_goodwill_over_the_support_limit_needs_a_second_approver(
    staff_client: StaffClient,
) -> None:
    client = client_with_wallet()
    url = f"/backoffice/support/kunden/{client.pk}/"
    support, _agent = staff_client("support")
    form = {
        "action": "goodwill",
        "kind": "bonus",
        "amount": "50,00",
        "reason": "Verbindung brach ab",
    }
    assert support.post(f"{url}aktion/", form).status_code == 302
    credit = GoodwillCredit.objects.get()
    assert credit.status == GoodwillCredit.Status.PENDING
    page = support.get(url).content.decode()
    assert "wartet auf Freigabe" in page
    assert "50,00" in page
    decide = f"/backoffice/support/kulanz/{credit.pk}/"
    assert support.post(decide, {"action": "approve"}).status_code == 302  # refused: own request
    credit.refresh_from_db()
    assert credit.status == GoodwillCredit.Status.PENDING
    admin, approver = staff_client("admin")
    assert "Verbindung brach ab" in admin.get("/backoffice/support/kulanz/").content.decode()
    assert admin.post(decide, {"action": "approve", "note": "ok"}).status_code == 302
    credit.refresh_from_db()
    assert (credit.status, credit.decided_by) == (GoodwillCredit.Status.BOOKED, approver)
    assert wallets.wallet_balance(client_account=client).bonus == eur(5000)
    assert 'data-balance="bonus">50,00' in admin.get(url).content.decode()
    assert_ledger_sound()
