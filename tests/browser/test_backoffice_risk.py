"""Risk staff walk their queues on the demo in a real browser: a chargeback arrives
through the sandbox provider, staff upload evidence and decide it lost, the client is in
dunning and two reminder mails go out (the file mail backend shows them), an instalment
plan of 3 is agreed in the console and the client pays it off on the site (sandbox
checkout), which frees the account; a refund request is approved in part. The ledger
check passes after each step."""

from __future__ import annotations

import io
import re

import pytest
from playwright.sync_api import Browser, Page, expect
from pypdf import PdfWriter

from sprechzeit.demo.seed import DEMO_PASSWORD, STAFF
from tests.browser.conftest import LiveServer, screenshot_path
from tests.browser.staff import staff_login

pytestmark = pytest.mark.browser

RISK_EMAIL = next(email for email, role in STAFF if role == "risk")
CLIENT = "carla.rueckbuchung@example.com"


def _ledger_ok(server: LiveServer) -> None:
    """`sprechzeit ledger check` exits 1 on any violation (the call raises then)."""
    report = server.sprechzeit("ledger", "check")
    assert "FAIL" not in report, report


def _shell(server: LiveServer, code: str) -> str:
    return server.sprechzeit("shell", "-c", code).strip()


def _pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=300, height=300)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _reminders(server: LiveServer) -> list[str]:
    return [
        mail
        for mail in server.mails()
        if "X-Sprechzeit-Mail: dunning_reminder" in mail and CLIENT in mail
    ]


def _client_pays(page: Page, server: LiveServer, amount: str) -> None:
    page.goto(server.url("coaching", "/guthaben/offen/"))
    expect(page.get_by_label(re.compile("Betrag in Euro"))).to_have_value(amount)
    page.locator("#debt-pay button[type=submit]").click()
    page.get_by_role("button", name="Zahlung erfolgreich").click()
    expect(page.get_by_test_id("payment-status")).to_have_attribute("data-status", "succeeded")


def test_risk_staff_walk_chargeback_dunning_instalments_and_a_partial_refund(
    browser: Browser, demo_server: LiveServer
) -> None:
    dispute_id = _shell(
        demo_server,
        "from sprechzeit.demo.backoffice_risk import demo_chargeback; "
        f"print(demo_chargeback(email='{CLIENT}', password='{DEMO_PASSWORD}'))",
    ).splitlines()[-1]
    _ledger_ok(demo_server)
    staff = browser.new_page(viewport={"width": 1280, "height": 900})
    staff_login(staff, demo_server, RISK_EMAIL, next_path="/backoffice/risiko/rueckbuchungen/")

    # The chargeback in the queue, taken, evidenced, decided lost.
    expect(staff.locator(f'tr[data-dispute="{dispute_id}"]')).to_contain_text(CLIENT)
    staff.screenshot(path=screenshot_path("backoffice-risk-disputes"), full_page=True)
    staff.locator(f'tr[data-dispute="{dispute_id}"] a').click()
    staff.get_by_role("button", name="Übernehmen").click()
    expect(staff.get_by_test_id("owner")).to_contain_text(RISK_EMAIL)
    staff.get_by_label(re.compile(r"^Beleg \(PDF")).set_input_files(
        {"name": "chat.pdf", "mimeType": "application/pdf", "buffer": _pdf()}
    )
    staff.get_by_label("Beschreibung").fill("Chatverlauf der Beratung")
    staff.get_by_role("button", name="Hochladen").click()
    expect(staff.locator("#evidence")).to_contain_text(f"beleg-{dispute_id}-1.pdf")
    staff.get_by_label("Neue Notiz").fill(
        "Bank bestätigt die Rückbuchung, Widerspruch aussichtslos."
    )
    staff.get_by_role("button", name="Notiz speichern").click()
    staff.get_by_label(re.compile("^verloren")).check()
    staff.get_by_label("Begründung").fill("Frist verstrichen")
    staff.get_by_role("button", name="Entscheiden").click()
    expect(staff.get_by_test_id("case-status")).to_have_text("im Mahnverfahren")
    case_url = staff.url
    _ledger_ok(demo_server)

    # Two reminders on the plan's days (7 and 14): the run on a simulated clock.
    for day in (8, 15):
        _shell(
            demo_server,
            "from datetime import timedelta; from sprechzeit.core import clock; "
            "from sprechzeit.collections.services.dunning import dunning_run; "
            f"ctx = clock.frozen_at(clock.now() + timedelta(days={day})); ctx.__enter__(); "
            "print(dunning_run().render())",
        )
    reminders = _reminders(demo_server)
    assert len(reminders) == 2
    assert "Erinnerung 1 von 3" in reminders[0]
    assert "Erinnerung 2 von 3" in reminders[1]
    _ledger_ok(demo_server)

    # An instalment plan of 3, agreed in the console.
    staff.goto(case_url)
    expect(staff.locator("#reminders tbody tr")).to_have_count(2)
    staff.get_by_label("Anzahl der Raten").fill("3")
    staff.get_by_label("Abstand in Tagen").fill("14")
    staff.get_by_role("button", name="Ratenplan anlegen").click()
    expect(staff.get_by_test_id("case-status")).to_have_text("in Ratenzahlung")
    staff.screenshot(path=screenshot_path("backoffice-risk-case"), full_page=True)

    # The client pays the three instalments on the site, blocked until the last.
    client = browser.new_page(viewport={"width": 1280, "height": 900})
    client.goto(demo_server.url("coaching", "/anmelden/"))
    client.get_by_label("E-Mail").fill(CLIENT)
    client.get_by_label("Passwort").fill(DEMO_PASSWORD)
    client.get_by_role("button", name="Anmelden").click()
    client.goto(demo_server.url("coaching", "/guthaben/"))
    expect(client.locator("body")).to_contain_text("gesperrt")
    expect(client.locator("body")).to_contain_text("zurückgebucht")
    client.get_by_test_id("debt-pay").click()
    owed = client.get_by_test_id("debt-owed").inner_text()
    assert "€" in owed
    for _ in range(3):
        client.goto(demo_server.url("coaching", "/guthaben/offen/"))
        amount = client.get_by_label(re.compile("Betrag in Euro")).input_value()
        _client_pays(client, demo_server, amount)
        _ledger_ok(demo_server)
    client.goto(demo_server.url("coaching", "/guthaben/offen/"))
    expect(client.locator("#debt-none")).to_be_visible()
    client.goto(demo_server.url("coaching", "/guthaben/"))
    expect(client.locator("body")).not_to_contain_text("Ihr Konto ist gesperrt")
    staff.goto(case_url)
    expect(staff.get_by_test_id("case-status")).to_have_text("beglichen")
    client.close()

    # A refund request of the demo approved in part.
    staff.goto(demo_server.url(None, "/backoffice/risiko/erstattungen/"))
    staff.screenshot(path=screenshot_path("backoffice-risk-refunds"), full_page=True)
    row = staff.locator("tr[data-refund]").filter(has_text="risiko-erstattung@demo")
    row.locator("a").click()
    expect(staff.get_by_test_id("refund-requested")).to_contain_text("15,00")
    staff.get_by_label("Betrag in Euro").fill("10,00")
    staff.get_by_role("button", name="Freigeben", exact=True).click()
    expect(staff.get_by_test_id("refund-status")).to_have_text("genehmigt")
    expect(staff.locator("#refund-rows")).to_contain_text("10,00")
    _ledger_ok(demo_server)
    staff.close()
