"""The demo's weeks of history: real services, a closed last month, a clean ledger."""

from __future__ import annotations

import pytest
from django.test import Client

from sprechzeit.accounts.models import Partner
from sprechzeit.accounts.tests.factories import login_verified
from sprechzeit.consultations.models import Consultation, Rating
from sprechzeit.demo.history import demo_history
from sprechzeit.demo.seed import demo_seed
from sprechzeit.ledger.check import ledger_check
from sprechzeit.platforms.models import ContactMessage
from sprechzeit.statements.models import Statement
from sprechzeit.support.models import GoodwillCredit, RatingReport, StaffNote

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def test_demo_history_creates_consultations_and_last_months_credit_notes() -> None:
    demo_seed()
    partners = list(
        Partner.objects.filter(user__email__endswith="@demo.sprechzeit.de").order_by("pk")
    )
    report = demo_history(partners=partners)
    assert report.consultations > 20
    assert (
        Consultation.objects.filter(status=Consultation.Status.SETTLED).count()
        == report.consultations
    )
    assert Rating.objects.count() == report.ratings > 0
    issued = Statement.objects.filter(status="issued")
    assert issued.exists()
    period = issued.first()
    assert period is not None
    partners_of_period = set(
        Consultation.objects.filter(
            status=Consultation.Status.SETTLED,
            ended_at__date__gte=period.period_start,
            ended_at__date__lte=period.period_end,
        ).values_list("partner_id", flat=True)
    )
    assert {s.partner_id for s in issued} == partners_of_period
    report_again = demo_history(partners=partners)  # a second run adds nothing
    assert report_again.consultations == 0
    check = ledger_check()
    assert check.ok, check.render()
    # --- support: the demo's queues have something to show (demo/backoffice_support.py)
    assert ContactMessage.objects.filter(handled=False).count() == 3
    assert RatingReport.objects.filter(resolved_at__isnull=True).count() == 1
    assert StaffNote.objects.count() == 2
    assert GoodwillCredit.objects.filter(status=GoodwillCredit.Status.PENDING).count() == 1

    # A demo partner finds last month's credit note in the portal.
    statement = issued.first()
    assert statement is not None
    browser = Client()
    login_verified(browser, statement.partner.user)
    page = browser.get(
        "/partner/gutschriften/", headers={"host": "coaching.localhost"}
    ).content.decode()
    assert statement.number
    assert statement.number in page
