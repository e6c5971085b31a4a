"""Contact replies (branded mail, the thread, the client link) and reported ratings
(report, hide, restore, keep; the average without hidden ratings). Each staff action
writes exactly one audit entry."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.core import mail

from sprechzeit.accounts import roles
from sprechzeit.accounts.tests.factories import client_create
from sprechzeit.audit.models import AuditEntry
from sprechzeit.audit.selectors import history_for
from sprechzeit.consultations.selectors import listing_rating_summary
from sprechzeit.consultations.tests.factories import scene
from sprechzeit.platforms.tests.factories import platform_create
from sprechzeit.support import errors
from sprechzeit.support.models import RatingReport
from sprechzeit.support.selectors import contact_client, contact_thread, reported_ratings
from sprechzeit.support.services import (
    contact_message_set_handled,
    contact_reply_send,
    rating_hide,
    rating_keep,
    rating_report,
    rating_restore,
)

from .factories import contact_message, rated, staff

pytestmark = pytest.mark.django_db


def test_a_reply_is_a_branded_mail_kept_in_the_thread(
    django_capture_on_commit_callbacks: Any,
) -> None:
    platform = platform_create(slug="a", contact_email="team@a.example")
    message = contact_message(platform, email="Frage@Example.com")
    agent = staff(roles.SUPPORT)
    with django_capture_on_commit_callbacks(execute=True):
        reply = contact_reply_send(
            actor=agent, message=message, body="Ihre Aufladung ist da.", ip="10.0.0.1"
        )
    message.refresh_from_db()
    assert message.handled
    [sent] = mail.outbox
    assert sent.to == ["Frage@Example.com"]
    assert sent.from_email.endswith("<team@a.example>")
    assert sent.subject == "Antwort auf Ihre Nachricht: Aufladung fehlt"
    assert "Ihre Aufladung ist da." in sent.body
    assert "Wo ist mein Geld?" not in sent.body  # the form proves no address: no relay
    thread = contact_thread(message)
    assert [item.kind for item in thread] == ["message", "reply"]
    assert thread[1].mail == reply.mail
    [entry] = AuditEntry.objects.all()
    assert (entry.action, entry.actor, entry.ip) == ("contact.reply", agent, "10.0.0.1")
    assert entry.before == {"handled": False}


def test_a_known_client_gets_the_reply_in_their_language() -> None:
    platform = platform_create(slug="a")
    client = client_create(platform=platform, email="kunde@example.com")
    client.user.language = "en"
    client.user.save(update_fields=["language"])
    other = platform_create(slug="b")
    client_create(platform=other, email="woanders@example.com")
    message = contact_message(platform, email="KUNDE@example.com")
    assert contact_client(message) == client
    assert contact_client(contact_message(platform, email="woanders@example.com")) is None
    reply = contact_reply_send(actor=staff(roles.ADMIN), message=message, body="Hello")
    assert reply.mail is not None
    assert (reply.mail.user, reply.mail.language) == (client.user, "en")
    assert reply.mail.subject.startswith("Reply to your message")


def test_contact_actions_need_support_or_admin_and_an_answer() -> None:
    platform = platform_create(slug="a")
    message = contact_message(platform)
    with pytest.raises(errors.NotAllowedForRole):
        contact_reply_send(actor=staff(roles.ACCOUNTING), message=message, body="x")
    with pytest.raises(errors.ReplyEmpty):
        contact_reply_send(actor=staff(roles.SUPPORT), message=message, body="  ")
    assert AuditEntry.objects.count() == 0
    agent = staff(roles.SUPPORT)
    contact_message_set_handled(actor=agent, message=message, handled=True)
    contact_message_set_handled(actor=agent, message=message, handled=False)
    assert [e.action for e in history_for(message).order_by("at", "id")] == [
        "contact.close",
        "contact.reopen",
    ]


def test_hidden_ratings_leave_the_profile_and_the_average() -> None:
    s = scene(balance_minor=5000)
    good = rated(s, 5, "Toll")
    bad = rated(s, 1, "Betrüger!")
    assert listing_rating_summary(listing=s.listing).count == 2

    report = rating_report(reporter=s.client.user, rating=bad, reason="offensive")
    with pytest.raises(errors.ReportExists):
        rating_report(reporter=s.client.user, rating=bad, reason="untrue")
    rating_report(reporter=s.partner.user, rating=bad, reason="untrue", comment="falsch")
    assert list(reported_ratings()) == [bad]
    assert reported_ratings().get().open_reports == 2  # type: ignore[attr-defined]

    agent = staff(roles.SUPPORT)
    with pytest.raises(errors.ReasonRequired):
        rating_hide(actor=agent, rating=bad, reason=" ")
    rating_hide(actor=agent, rating=bad, reason="Beleidigung", ip="10.0.0.2")
    summary = listing_rating_summary(listing=s.listing)
    assert (summary.count, summary.average, summary.recent) == (1, Decimal("5.0"), [good])
    report.refresh_from_db()
    assert report.outcome == RatingReport.Outcome.HIDDEN
    assert report.resolved_by == agent
    assert not reported_ratings().exists()

    rating_restore(actor=agent, rating=bad, reason="Nach Prüfung zulässig")
    assert listing_rating_summary(listing=s.listing).count == 2
    assert [e.action for e in history_for(bad).order_by("at", "id")] == [
        "rating.hide",
        "rating.restore",
    ]


def test_who_may_report_and_keeping_a_rating() -> None:
    s = scene(balance_minor=5000)
    rating = rated(s, 2)
    outsider = client_create(platform=platform_create(slug="b"))
    with pytest.raises(errors.ReportNotAllowed):
        rating_report(reporter=outsider.user, rating=rating, reason="spam")
    with pytest.raises(errors.ReportNotAllowed):
        rating_report(reporter=staff(roles.SUPPORT), rating=rating, reason="spam")
    with pytest.raises(errors.ReportNotAllowed):
        rating_report(reporter=s.client.user, rating=rating, reason="no-such-reason")
    rating_report(reporter=s.client.user, rating=rating, reason="spam")
    with pytest.raises(errors.NotAllowedForRole):
        rating_keep(actor=staff(roles.RISK), rating=rating, reason="ok")
    rating_keep(actor=staff(roles.ADMIN), rating=rating, reason="sachlich")
    assert not reported_ratings().exists()
    assert RatingReport.objects.get().outcome == RatingReport.Outcome.KEPT
    assert AuditEntry.objects.get().action == "rating.keep"
    # Resolved: the same person may report again (a new reason, a new look).
    rating_report(reporter=s.client.user, rating=rating, reason="untrue")
