"""What a credit note says about its payout (carried forward from before, this note,
total, paid or carried forward and why) is what the payout run then does: one rule."""

from __future__ import annotations

import io

import pytest
from django.test import Client
from lxml import etree
from pypdf import PdfReader

from sprechzeit.core import clock
from sprechzeit.ledger.selectors import account_balance
from sprechzeit.ledger.tests.helpers import assert_ledger_sound
from sprechzeit.payouts import errors, lines, services
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
from sprechzeit.statements import services as statements
from sprechzeit.statements.models import PartnerTaxProfile, Statement
from sprechzeit.statements.payability import Blocker, PayoutDecision, payout_decision
from sprechzeit.statements.vat import VatStatus
from sprechzeit.wallets import services as wallets

pytestmark = pytest.mark.django_db


def euro(minor: int) -> str:
    return f"{minor // 100},{minor % 100:02d} €"


def pdf_text(statement: Statement) -> str:
    rendered = statements.statement_render_pdf(statement_id=statement.pk)
    reader = PdfReader(io.BytesIO(bytes(rendered.pdf or b"")))
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages)


def payable(partner: object) -> int:
    account = wallets.partner_payable_account(partner=partner, currency="EUR")  # type: ignore[arg-type]
    return account_balance(account=account).posted.minor


def skipped_reason(run_error: errors.NothingToPay, partner_id: int) -> str:
    return str(
        next(
            item["reason"]
            for item in run_error.fields["skipped"]
            if item["partner_id"] == partner_id
        )
    )


def test_below_threshold_is_carried_forward_then_paid_with_the_next_note() -> None:
    platform = paying_platform()  # default threshold 25,00 €
    s = busy_scene(platform=platform)
    tax_profile(s.partner, VatStatus.SMALL_BUSINESS)
    settled(s, seconds=600, when=at(2026, 10, 10))  # 10 min at 1,99 €: far below 25 €
    close_month("2026-10")
    october = Statement.objects.get(period_start__month=10)
    assert october.data["payout"] == {
        "carried_forward_minor": 0,
        "amount_minor": october.gross_minor,
        "total_minor": october.gross_minor,
        "threshold_minor": 2500,
        "pays": False,
        "code": "below_threshold",
        "detail": "",
    }
    text = pdf_text(october)
    for needle in (
        "Vortrag aus früheren Gutschriften (noch nicht ausgezahlt) 0,00 €",
        f"Betrag dieser Gutschrift {euro(october.gross_minor)}",
        f"Zur Auszahlung offen {euro(october.gross_minor)}",
        "wird nicht ausgezahlt, sondern vorgetragen. Grund: Unter dem Mindestbetrag; wird "
        "vorgetragen. Ausgezahlt wird ab 25,00 €.",
    ):
        assert needle in text, needle
    # the run does what the note said, with the same words
    with clock.frozen_at(at(2026, 11, 3)), pytest.raises(errors.NothingToPay) as caught:
        services.payout_run_create(legal_entity=platform.legal_entity)
    assert (
        skipped_reason(caught.value, s.partner.pk)
        == PayoutDecision(Blocker.BELOW_THRESHOLD).reason_de()
    )
    # November: enough for the total to reach the threshold
    settled(s, seconds=1500, when=at(2026, 11, 20))
    with clock.frozen_at(at(2026, 12, 2)):
        statements.statements_close(period="2026-11")
    november = Statement.objects.get(period_start__month=11)
    total = october.gross_minor + november.gross_minor
    assert november.gross_minor < 2500 <= total
    assert november.data["payout"]["carried_forward_minor"] == october.gross_minor
    assert november.data["payout"]["total_minor"] == total
    assert november.data["payout"]["pays"] is True
    text = pdf_text(november)
    for needle in (
        f"Vortrag aus früheren Gutschriften (noch nicht ausgezahlt) {euro(october.gross_minor)}",
        f"Betrag dieser Gutschrift {euro(november.gross_minor)}",
        f"Zur Auszahlung offen {euro(total)}",
        f"Der offene Betrag von {euro(total)} wird mit dem nächsten Auszahlungslauf überwiesen.",
    ):
        assert needle in text, needle
    with clock.frozen_at(at(2026, 12, 3)):
        run = services.payout_run_create(legal_entity=platform.legal_entity)
    payout = Payout.objects.get()
    assert (run.total_minor, payout.end_to_end_id) == (total, november.number)
    assert set(payout.statements.all()) == {october, november}
    # the remittance names both notes the payout covers, not only the newest
    ustrd = etree.fromstring(bytes(run.file or b"")).findtext(".//{*}RmtInf/{*}Ustrd")
    assert ustrd == f"Auszahlung zu Gutschriften {october.number}, {november.number}"
    lines.payouts_import_camt(xml=camt([Line(str(november.number), total)]))
    assert payable(s.partner) == 0
    # December's note starts from nothing carried forward again
    settled(s, seconds=600, when=at(2026, 12, 10))
    with clock.frozen_at(at(2027, 1, 2)):
        statements.statements_close(period="2026-12")
    december = Statement.objects.get(period_start__month=12)
    assert december.data["payout"]["carried_forward_minor"] == 0
    assert_ledger_sound()


def test_held_statement_states_its_figures_on_the_portal_then_on_the_note() -> None:
    platform = paying_platform()
    s = busy_scene(platform=platform)
    settled(s, seconds=3600, when=at(2026, 10, 10))  # enough, but no tax data yet
    close_month("2026-10")
    held = Statement.objects.get()
    assert held.status == Statement.Status.HELD
    share = held.sections.get().share_minor
    client = Client(HTTP_HOST="localhost")
    client.force_login(s.partner.user)
    response = client.get("/partner/gutschriften/", HTTP_HOST=f"{platform.slug}.localhost")
    page = " ".join(response.content.decode().split())
    assert "Vortrag aus früheren Gutschriften: 0,00 €" in page
    assert f"zur Auszahlung offen: <strong>{euro(share).replace(' ', '&nbsp;')}" in page or (
        f"zur Auszahlung offen: <strong>{euro(share)}" in page
    )
    assert "wird vorgetragen: Gutschrift zurückgehalten: Steuer- und Bankdaten fehlen." in page
    # the partner completes the data: the note is issued and says it will be paid
    tax_profile(s.partner, VatStatus.REGULAR)
    with clock.frozen_at(at(2026, 11, 5)):
        (issued,) = statements.statements_release_held()
    assert issued.data["payout"]["pays"] is True
    assert issued.data["payout"]["total_minor"] == issued.gross_minor  # with 19 % VAT now
    assert "wird mit dem nächsten Auszahlungslauf überwiesen" in pdf_text(issued)
    with clock.frozen_at(at(2026, 11, 6)):
        run = services.payout_run_create(legal_entity=platform.legal_entity)
    assert run.total_minor == issued.gross_minor
    assert_ledger_sound()


def test_a_blocked_partner_gets_the_reason_on_the_note_and_in_the_run() -> None:
    platform = paying_platform()
    s = busy_scene(platform=platform)
    tax_profile(s.partner, VatStatus.REGULAR)
    settled(s, seconds=3600, when=at(2026, 10, 10))
    close_month("2026-10")
    october = Statement.objects.get()
    with clock.frozen_at(at(2026, 11, 3)):
        services.payout_run_create(legal_entity=platform.legal_entity)
    lines.payouts_import_camt(
        xml=camt([Line(str(october.number), october.gross_minor, credit=True, reason="AC04")])
    )
    settled(s, seconds=600, when=at(2026, 11, 10))
    with clock.frozen_at(at(2026, 12, 2)):
        statements.statements_close(period="2026-11")
    november = Statement.objects.get(period_start__month=11)
    outlook = november.data["payout"]
    # the returned October amount is carried forward again, next to November's
    assert outlook["carried_forward_minor"] == october.gross_minor
    assert outlook["total_minor"] == october.gross_minor + november.gross_minor
    assert (outlook["pays"], outlook["code"]) == (False, "blocked")
    text = pdf_text(november)
    assert "Grund: Auszahlung gesperrt: Rücküberweisung der Bank (AC04)" in text
    with clock.frozen_at(at(2026, 12, 3)), pytest.raises(errors.NothingToPay) as caught:
        services.payout_run_create(legal_entity=platform.legal_entity)
    profile = PartnerTaxProfile.objects.get(partner=s.partner)
    expected = payout_decision(
        profile=profile, amount_minor=outlook["total_minor"], threshold_minor=2500
    )
    assert skipped_reason(caught.value, s.partner.pk) == expected.reason_de()
    assert expected.reason_de().startswith("Auszahlung gesperrt: Rücküberweisung der Bank (AC04)")
    assert payable(s.partner) == outlook["total_minor"]
    assert_ledger_sound()


def test_english_note_states_the_outlook_in_english() -> None:
    platform = paying_platform()
    s = busy_scene(platform=platform)
    tax_profile(s.partner, VatStatus.SMALL_BUSINESS, language="en")
    settled(s, seconds=600, when=at(2026, 10, 10))
    close_month("2026-10")
    text = pdf_text(Statement.objects.get())
    assert "Carried forward from earlier credit notes" in text
    assert "Below the minimum amount; carried forward." in text


@pytest.mark.parametrize(
    ("changes", "amount", "code"),
    [
        ({}, 2500, ""),
        ({}, 2499, "below_threshold"),
        ({}, 0, "nothing_owed"),
        ({"iban": ""}, 5000, "no_bank_account"),
        ({"iban_verified_at": None}, 5000, "iban_unverified"),
        ({"payout_blocked_reason": "AC04"}, 5000, "blocked"),
        ({"iban": "DE00120300000000202051"}, 5000, "iban_invalid"),
    ],
)
def test_the_rule(changes: dict[str, object], amount: int, code: str) -> None:
    s = busy_scene(platform=paying_platform())
    profile = tax_profile(s.partner, VatStatus.REGULAR)
    for name, value in changes.items():
        setattr(profile, name, value)
    decision = payout_decision(profile=profile, amount_minor=amount, threshold_minor=2500)
    assert decision.code == code
    assert decision.pays is (code == "")
    # the run additionally checks the ledger: a payable short of the documents waits
    if not code:
        short = payout_decision(
            profile=profile, amount_minor=amount, threshold_minor=2500, payable_minor=amount - 1
        )
        assert short.code == "payable_short"
