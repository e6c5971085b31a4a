"""The client's page of saved methods, with the sandbox (its test card 4242 is charged
at once): save, see, one-click top-up, automatic top-up (refused when the amount
passes the cap), delete; another client's method is a 404. The sandbox's declining
card 0002: saved, its charge declined with a clear message, the balance unchanged."""

from __future__ import annotations

import pytest
from django.test import Client

from sprechzeit.ledger.tests.helpers import assert_ledger_sound
from sprechzeit.payments.models import Payment, PaymentStatus
from sprechzeit.payments.saved_models import AutoTopUp, SavedMethod
from sprechzeit.payments.tests.factories import client, eur, sandbox_setup
from sprechzeit.wallets import services as wallets

pytestmark = pytest.mark.django_db


def test_save_see_charge_automate_and_delete_a_method() -> None:
    platform, _config, policy = sandbox_setup()
    account = client(platform)
    browser = Client(HTTP_HOST=f"{platform.slug}.localhost")
    browser.force_login(account.user)
    page = browser.get("/guthaben/zahlungsmittel/")
    assert page.status_code == 200
    assert "Noch kein Zahlungsmittel gespeichert" in page.content.decode()
    assert "Zahlungsmittel und automatisch aufladen" in browser.get("/guthaben/").content.decode()

    # The sandbox's own page (Stripe's hosted page in the demo) offers the test cards.
    sandbox_page = browser.post("/guthaben/zahlungsmittel/neu/", {"kanal": str(policy.pk)})
    assert sandbox_page["Location"].startswith("/testkasse/karte/")
    assert "Testkarte •••• 0002" in browser.get(sandbox_page["Location"]).content.decode()
    added = browser.post(sandbox_page["Location"], {"karte": "4242"}, follow=True)
    html = added.content.decode()
    assert "TEST •••• 4242 ist gespeichert" in html
    method = SavedMethod.objects.get(client_account=account)

    charged = browser.post(f"/guthaben/zahlungsmittel/{method.pk}/aufladen/", {"betrag": "15,00"})
    payment = Payment.objects.get(client_account=account)
    assert charged["Location"] == f"/guthaben/zahlung/{payment.pk}/"
    assert payment.status == PaymentStatus.SUCCEEDED
    assert wallets.wallet_balance(client_account=account).paid == eur(1500)

    too_much = browser.post(
        "/guthaben/automatisch/",
        {
            "zahlungsmittel": str(method.pk),
            "schwelle": "5,00",
            "betrag": "50,00",
            "monatsgrenze": "20,00",
        },
        follow=True,
    )
    assert "Monatsgrenze" in too_much.content.decode()
    assert not AutoTopUp.objects.exists()
    saved_rule = browser.post(
        "/guthaben/automatisch/",
        {
            "zahlungsmittel": str(method.pk),
            "schwelle": "5,00",
            "betrag": "20,00",
            "monatsgrenze": "60,00",
        },
        follow=True,
    )
    assert 'id="auto-status"' in saved_rule.content.decode()
    rule = AutoTopUp.objects.get(client_account=account)
    assert (rule.threshold_minor, rule.amount_minor, rule.monthly_cap_minor) == (500, 2000, 6000)

    other = client(platform)
    stranger = Client(HTTP_HOST=f"{platform.slug}.localhost")
    stranger.force_login(other.user)
    assert stranger.post(f"/guthaben/zahlungsmittel/{method.pk}/loeschen/").status_code == 404
    assert (
        stranger.post(
            f"/guthaben/zahlungsmittel/{method.pk}/aufladen/", {"betrag": "5,00"}
        ).status_code
        == 404
    )

    deleted = browser.post(f"/guthaben/zahlungsmittel/{method.pk}/loeschen/", follow=True)
    assert "Das Zahlungsmittel ist gelöscht" in deleted.content.decode()
    assert "TEST •••• 4242" not in deleted.content.decode()
    assert AutoTopUp.objects.get(client_account=account).enabled is False
    assert_ledger_sound()


def test_a_declined_saved_card_says_so_and_changes_no_balance() -> None:
    platform, _config, policy = sandbox_setup()
    account = client(platform)
    browser = Client(HTTP_HOST=f"{platform.slug}.localhost")
    browser.force_login(account.user)
    sandbox_page = browser.post("/guthaben/zahlungsmittel/neu/", {"kanal": str(policy.pk)})
    saved = browser.post(sandbox_page["Location"], {"karte": "0002"}, follow=True)
    assert "TEST •••• 0002 ist gespeichert" in saved.content.decode()
    method = SavedMethod.objects.get(client_account=account)
    # The one-click top-up from the top-up page: the bank declines.
    topup_page = browser.get("/guthaben/aufladen/").content.decode()
    assert f"/guthaben/zahlungsmittel/{method.pk}/aufladen/" in topup_page
    charged = browser.post(
        f"/guthaben/zahlungsmittel/{method.pk}/aufladen/", {"betrag": "15,00"}, follow=True
    )
    html = charged.content.decode()
    assert "Die Zahlung mit TEST •••• 0002 wurde abgelehnt" in html
    assert "Ihr Guthaben ist unverändert" in html
    payment = Payment.objects.get(client_account=account)
    assert (payment.status, payment.failure_reason) == (PaymentStatus.FAILED, "card_declined")
    assert payment.credited_at is None
    assert wallets.wallet_balance(client_account=account).paid == eur(0)
    assert_ledger_sound()
