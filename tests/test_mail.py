"""Branded mails: each sent once on its event, in German and English, with a plain-text
and an HTML part, from the right sender per platform, with links that work (parsed from
the sent message with the email package and followed with the test client)."""

from __future__ import annotations

import email
import email.policy
import io
import re
import smtplib
import uuid
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any

import pytest
from django.conf import settings
from django.core import mail
from django.core.mail import EmailMessage as DjangoMessage
from django.test import Client
from pypdf import PdfReader

from sprechzeit.accounts import roles
from sprechzeit.accounts.models import User
from sprechzeit.accounts.services import staff_create
from sprechzeit.accounts.tests.factories import (
    PASSWORD,
    client_create,
    login_verified,
    partner_with_listing,
)
from sprechzeit.consultations.models import Consultation
from sprechzeit.consultations.services import (
    consultation_accept,
    consultation_end,
    consultation_request,
    consultation_settle,
)
from sprechzeit.consultations.tests.factories import scene
from sprechzeit.core import clock
from sprechzeit.core.money import Money
from sprechzeit.ledger.tests.helpers import assert_ledger_sound
from sprechzeit.legal.services import legal_documents_start
from sprechzeit.notifications.errors import MailDeliveryFailed
from sprechzeit.notifications.models import OutboundMail
from sprechzeit.notifications.services import Utf8Mail, mail_deliver, mail_muted, mail_send
from sprechzeit.payments.models import Payment
from sprechzeit.payments.services import payments
from sprechzeit.payments.services.refunds import (
    refund_request_approve,
    refund_request_create,
    refund_request_reject,
)
from sprechzeit.payments.services.sandbox import sandbox_deliver
from sprechzeit.payments.tests.factories import client as payment_client
from sprechzeit.payments.tests.factories import host, sandbox_setup
from sprechzeit.payouts import lines
from sprechzeit.payouts import services as payouts
from sprechzeit.payouts.models import Payout
from sprechzeit.payouts.tests.factories import (
    Line,
    at,
    busy_scene,
    camt,
    close_month,
    paying_platform,
    settled,
    tax_profile,
)
from sprechzeit.platforms.models import LegalEntity, Platform
from sprechzeit.platforms.tests.factories import platform_create
from sprechzeit.statements.models import Statement
from sprechzeit.statements.vat import VatStatus
from sprechzeit.wallets import services as wallets

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
SIGNUP = {"email": "neu@example.com", "password": "ein-gutes-passwort-7", "accept_terms": "on"}


def parsed(message: Any) -> EmailMessage:
    """The sent message as bytes on the wire, read back with the email package."""
    assert isinstance(message, DjangoMessage)
    raw = message.message().as_bytes()
    result = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(result, EmailMessage)
    return result


def bodies(message: Any) -> tuple[str, str]:
    msg = parsed(message)
    text_part = msg.get_body(("plain",))
    html_part = msg.get_body(("html",))
    assert text_part is not None
    assert html_part is not None
    for part in (text_part, html_part):
        assert part["Content-Transfer-Encoding"] == "8bit"  # no quoted-printable "="
    return str(text_part.get_content()), str(html_part.get_content())


def link(text: str, path_pattern: str) -> tuple[str, str]:
    """(host, path) of the first link to `path_pattern` in `text`."""
    found = re.search(rf"https?://([a-z0-9.-]+(?::\d+)?)({path_pattern})", text)
    assert found is not None, text
    return found.group(1), found.group(2)


def sent(template: str) -> list[Any]:
    return [m for m in mail.outbox if m.extra_headers.get("X-Sprechzeit-Mail") == template]


def _platform(slug: str, name: str) -> Platform:
    platform = platform_create(slug=slug, name=name)
    legal_documents_start(platform=platform, valid_from=T0)
    return platform


@pytest.mark.parametrize(
    ("language", "subject"),
    [
        ("de", "Bitte bestätigen Sie Ihre E-Mail-Adresse"),
        ("en", "Please confirm your e-mail address"),
    ],
)
def test_verification_mail_is_branded_8bit_and_its_link_verifies(
    language: str, subject: str, django_capture_on_commit_callbacks: Any
) -> None:
    _platform("a", "Plattform A")
    browser = Client()
    browser.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    with django_capture_on_commit_callbacks(execute=True):
        assert (
            browser.post("/registrieren/", SIGNUP, headers={"host": "a.localhost"}).status_code
            == 302
        )
    [message] = mail.outbox
    assert message.subject == subject
    assert message.from_email == "Plattform A <kontakt@a.example.com>"
    assert "noreply@localhost" not in message.from_email
    raw = message.message().as_bytes()
    text, html = bodies(message)
    host_, path = link(text, r"/bestaetigen/[^/\s]+/")
    assert host_ == "a.localhost"
    assert f"http://a.localhost{path}".encode() in raw  # the link is whole on the wire
    assert f'href="http://a.localhost{path}"' in html
    assert "Plattform A" in html
    assert "Plattform A" in text
    user = User.objects.get(email="neu@example.com")
    assert browser.get(path, headers={"host": host_}).status_code == 200
    user.refresh_from_db()
    assert user.email_verified_at is not None
    record = OutboundMail.objects.get()
    assert (record.status, record.language, record.template) == ("sent", language, "verify_email")
    assert record.body_text == ""  # the log-in secret is not kept once sent


def test_each_platform_sends_from_its_own_name_and_address(
    django_capture_on_commit_callbacks: Any,
) -> None:
    _platform("a", "Plattform A")
    _platform("b", "Plattform B")
    with django_capture_on_commit_callbacks(execute=True):
        Client().post("/registrieren/", SIGNUP, headers={"host": "a.localhost"})
        Client().post("/registrieren/", SIGNUP, headers={"host": "b.localhost"})
    senders = sorted(m.from_email for m in mail.outbox)
    assert senders == ["Plattform A <kontakt@a.example.com>", "Plattform B <kontakt@b.example.com>"]
    for message in mail.outbox:
        host_, _path = link(bodies(message)[0], r"/bestaetigen/[^/\s]+/")
        assert host_ == message.from_email.split("@")[1].split(".")[0] + ".localhost"


@pytest.mark.parametrize(
    ("language", "subject"), [("de", "Ihr neues Passwort"), ("en", "Your new password")]
)
def test_password_reset_mail_link_opens_the_form(
    language: str, subject: str, django_capture_on_commit_callbacks: Any
) -> None:
    platform = _platform("a", "Plattform A")
    account = client_create(platform=platform, email="kim@example.com")
    User.objects.filter(pk=account.user.pk).update(language=language)
    browser = Client()
    with django_capture_on_commit_callbacks(execute=True):
        browser.post(
            "/passwort/vergessen/", {"email": "kim@example.com"}, headers={"host": "a.localhost"}
        )
    [message] = sent("password_reset")
    assert message.subject == subject
    host_, path = link(bodies(message)[0], r"/passwort/neu/[^\s]+/")
    form = browser.get(path, headers={"host": host_}, follow=True)
    assert form.status_code == 200
    assert 'name="new_password1"' in form.content.decode()


def test_top_up_receipt_sent_once_with_the_figures(django_capture_on_commit_callbacks: Any) -> None:
    platform, _config, policy = sandbox_setup()
    account = payment_client(platform)
    browser = Client()
    browser.force_login(account.user)
    with django_capture_on_commit_callbacks(execute=True):
        browser.post(
            "/guthaben/aufladen/", {"channel": policy.pk, "amount": "25,00"}, headers=host(platform)
        )
        payment = Payment.objects.get()
        browser.post(f"/testkasse/{payment.pk}/", {"outcome": "success"}, headers=host(platform))
        # the provider reports the success again: no second receipt
        browser.post(f"/testkasse/{payment.pk}/", {"outcome": "success"}, headers=host(platform))
    [receipt] = sent("topup_receipt")
    assert receipt.to == [account.user.email]
    assert receipt.subject == "Beleg über Ihre Aufladung von 25,00 €"
    text, html = bodies(receipt)
    for needle in ("25,00\xa0€", str(payment.pk), account.customer_number, "USt-IdNr."):
        assert needle in text
        assert needle in html
    host_, path = link(text, r"/guthaben/")
    assert browser.get(path, headers={"host": host_}).status_code == 200
    # the PDF receipt is attached
    [(name, content, mime)] = receipt.attachments
    assert (name.startswith("Beleg_"), name.endswith(".pdf"), mime) == (
        True,
        True,
        "application/pdf",
    )
    pdf_text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(content)).pages)
    assert "Zahlungsbeleg" in pdf_text
    assert "25,00" in pdf_text
    assert_ledger_sound()


def test_consultation_summary_and_low_balance_once_in_the_clients_language(
    django_capture_on_commit_callbacks: Any,
) -> None:
    s = scene(balance_minor=1000, rate_minor=200)
    User.objects.filter(pk=s.client.user.pk).update(language="en")
    with django_capture_on_commit_callbacks(execute=True):
        consultation = consultation_request(client=s.client, listing=s.listing, now=T0)
        consultation = consultation_accept(consultation=consultation, partner=s.partner, now=T0)
        consultation_end(
            consultation=consultation,
            reason="client",
            at_second=120,
            now=T0 + timedelta(seconds=120),
        )
        consultation_settle(
            consultation=Consultation.objects.get(), now=T0 + timedelta(seconds=130)
        )
    [summary] = sent("consultation_summary")
    assert summary.subject == f"Your consultation with {s.listing.display_name}"
    text, html = bodies(summary)
    assert "€4.00" in text  # 2 minutes at €2.00
    assert "€6.00" in text  # left of €10.00
    assert "€4.00" in html
    [low] = sent("low_balance")  # €6.00 buys less than 5 minutes at €2.00
    low_text, _low_html = bodies(low)
    browser = Client()
    browser.force_login(s.client.user)
    for text_, pattern in ((text, r"/beratungen/"), (low_text, r"/guthaben/aufladen/")):
        host_, path = link(text_, pattern)
        assert browser.get(path, headers={"host": host_}).status_code == 200
    assert_ledger_sound()


def test_no_low_balance_mail_when_enough_is_left(django_capture_on_commit_callbacks: Any) -> None:
    s = scene(balance_minor=5000, rate_minor=200)
    with django_capture_on_commit_callbacks(execute=True):
        consultation = consultation_request(client=s.client, listing=s.listing, now=T0)
        consultation = consultation_accept(consultation=consultation, partner=s.partner, now=T0)
        consultation_end(
            consultation=consultation, reason="client", at_second=60, now=T0 + timedelta(seconds=60)
        )
    assert len(sent("consultation_summary")) == 1
    assert sent("low_balance") == []
    assert sent("consultation_summary")[0].subject.startswith("Ihre Beratung mit")


def test_refund_decisions_are_mailed_once(django_capture_on_commit_callbacks: Any) -> None:
    platform, _config, policy = sandbox_setup()
    account = payment_client(platform)
    browser = Client()
    browser.force_login(account.user)
    with django_capture_on_commit_callbacks(execute=True):
        browser.post(
            "/guthaben/aufladen/", {"channel": policy.pk, "amount": "20"}, headers=host(platform)
        )
        payment = Payment.objects.get()
        browser.post(f"/testkasse/{payment.pk}/", {"outcome": "success"}, headers=host(platform))
        rejected = refund_request_reject(
            request=refund_request_create(client_account=account), staff="s"
        )
        refund_request_approve(request=refund_request_create(client_account=account), staff="s")
    rejection, approval = sorted(sent("refund_decided"), key=lambda m: "genehmigt" in m.subject)
    assert rejection.subject == "Ihr Erstattungsantrag wurde abgelehnt"
    assert approval.subject == "Ihre Erstattung ist genehmigt"
    assert "20,00\xa0€" in bodies(approval)[0]
    assert OutboundMail.objects.filter(key=f"refund-decided:{rejected.pk}").count() == 1
    assert_ledger_sound()


def test_partner_gets_credit_note_and_payout_mails_from_the_operator(
    django_capture_on_commit_callbacks: Any,
) -> None:
    platform = paying_platform()
    s = busy_scene(platform=platform)
    tax_profile(s.partner, VatStatus.REGULAR)
    settled(s, seconds=1800, when=at(2026, 10, 10))
    with django_capture_on_commit_callbacks(execute=True):
        close_month()
    note = Statement.objects.get(partner=s.partner)
    [credit_note] = sent("credit_note_ready")
    entity = platform.legal_entity
    assert credit_note.from_email == f"{entity.name} <{entity.email}>"
    assert credit_note.to == [s.partner.user.email]
    assert credit_note.subject == f"Ihre Gutschrift {note.number} ist ausgestellt"
    text, _html = bodies(credit_note)
    host_, path = link(text, r"/partner/gutschriften/")
    partner_browser = Client()
    login_verified(partner_browser, s.partner.user)
    page = partner_browser.get(path, headers={"host": host_})
    assert page.status_code == 200
    assert str(note.number) in page.content.decode()
    with clock.frozen_at(at(2026, 11, 3)):
        payouts.payout_run_create(legal_entity=entity)
    statement = camt([Line(str(note.number), note.gross_minor)])
    with django_capture_on_commit_callbacks(execute=True):
        lines.payouts_import_camt(xml=statement)
        lines.payouts_import_camt(xml=statement)  # the same bank file again
    [payout] = sent("payout_sent")
    assert "ausgeführt" in payout.subject
    payout_row = Payout.objects.get()
    assert f"IBAN-Endung {payout_row.iban[-4:]}" in bodies(payout)[0]
    assert f"{entity.name} · {entity.street}" in bodies(payout)[0]
    assert_ledger_sound()


def test_a_refused_send_is_retried_and_never_sent_twice(monkeypatch: pytest.MonkeyPatch) -> None:
    platform = _platform("a", "Plattform A")
    queued = mail_send(
        platform=platform,
        to="x@example.com",
        template="low_balance",
        context={
            "user": None,
            "balance": None,
            "topup_url": "http://a.localhost/",
            "low_minutes": 5,
        },
        key="test:1",
    )
    assert queued is not None
    assert (
        mail_send(
            platform=platform, to="x@example.com", template="low_balance", context={}, key="test:1"
        )
        == queued
    )

    def refuse(self: Utf8Mail, fail_silently: bool = False) -> int:
        raise smtplib.SMTPServerDisconnected("gone")

    monkeypatch.setattr(Utf8Mail, "send", refuse)
    with pytest.raises(MailDeliveryFailed):
        mail_deliver(mail_id=queued.pk)
    queued.refresh_from_db()
    assert (queued.status, queued.attempts, queued.last_error) == ("queued", 1, "gone")
    monkeypatch.undo()
    assert mail_deliver(mail_id=queued.pk) is True
    assert mail_deliver(mail_id=queued.pk) is False
    assert len(mail.outbox) == 1
    with mail_muted():
        assert (
            mail_send(platform=platform, to="y@example.com", template="low_balance", context={})
            is None
        )


def test_staff_see_sent_mail_in_the_back_office(django_capture_on_commit_callbacks: Any) -> None:
    platform = _platform("a", "Plattform A")
    with django_capture_on_commit_callbacks(execute=True):
        queued = mail_send(
            platform=platform,
            to="x@example.com",
            template="contact_confirmation",
            context={},
            language="en",
        )
    assert queued is not None
    support = staff_create(email="support@example.com", password=PASSWORD, role=roles.SUPPORT)
    browser = Client()
    login_verified(browser, support)
    listing = browser.get("/admin/notifications/outboundmail/")
    assert listing.status_code == 200
    assert "x@example.com" in listing.content.decode()
    detail = browser.get(f"/admin/notifications/outboundmail/{queued.pk}/change/")
    assert detail.status_code == 200
    assert "We have received your message" in detail.content.decode()
    assert "<iframe sandbox" in detail.content.decode()


def test_a_chargeback_that_leaves_a_debt_mails_the_blocked_account_once(
    django_capture_on_commit_callbacks: Any,
) -> None:
    platform, _config, policy = sandbox_setup()
    LegalEntity.objects.filter(pk=platform.legal_entity_id).update(iban="DE89370400440532013000")
    platform.refresh_from_db()
    account = payment_client(platform)
    payment = payments.payment_start(
        client_account=account,
        policy=policy,
        amount=Money(3000, "EUR"),
        return_url="/r/{id}",
        cancel_url="/c",
        webhook_url="/h",
    )
    sandbox_deliver(payment=payment, event_type="payment.succeeded")
    partner, _listing = partner_with_listing(platform=platform)
    hold_id = uuid.uuid4()
    wallets.wallet_hold(
        client_account=account,
        amount=Money(2500, "EUR"),
        reference="consultation:9",
        expires_at=clock.now() + timedelta(minutes=10),
        hold_id=hold_id,
    )
    wallets.wallet_settle(
        client_account=account,
        hold_id=hold_id,
        charge=Money(2500, "EUR"),
        vat=Money(399, "EUR"),
        partner_share=Money(1000, "EUR"),
        partner_account=wallets.partner_payable_account(partner=partner, currency="EUR"),
        reference="consultation:9",
    )
    with django_capture_on_commit_callbacks(execute=True):
        sandbox_deliver(payment=payment, event_type="dispute.lost", dispute_id="cb1")
        sandbox_deliver(payment=payment, event_type="dispute.lost", dispute_id="cb1")
    [blocked] = sent("account_blocked")
    assert blocked.subject == "Ihr Konto ist gesperrt: offener Betrag 25,00 €"
    text, html = bodies(blocked)
    entity = platform.legal_entity
    for body in (text, html):
        assert "25,00\xa0€" in body
        assert account.customer_number in body
    assert entity.iban  # the operator's account for the transfer
    assert f"IBAN {entity.iban}" in text
    browser = Client()
    browser.force_login(account.user)
    host_, path = link(text, r"/guthaben/")
    page = browser.get(path, headers={"host": host_})
    assert page.status_code == 200
    assert "gesperrt" in page.content.decode()
    assert_ledger_sound()


def test_a_part_with_an_overlong_line_keeps_a_safe_encoding() -> None:
    body = "x" * 2000
    message = Utf8Mail(subject="s", body=body, from_email="a@example.com", to=["b@example.com"])
    message.attach_alternative("<p>kurz</p>", "text/html")
    msg = parsed(message)
    text_part = msg.get_body(("plain",))
    html_part = msg.get_body(("html",))
    assert text_part is not None
    assert html_part is not None
    assert text_part["Content-Transfer-Encoding"] != "8bit"  # RFC 5322: at most 998 octets
    assert str(text_part.get_content()).strip() == body
    assert html_part["Content-Transfer-Encoding"] == "8bit"
    assert max(len(line) for line in message.message().as_bytes().splitlines()) <= 998
