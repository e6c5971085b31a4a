"""Hostile input (issue #11, point 8): every case answers a 4xx with a clear message and
stores nothing — no payment, inbox entry, ledger transfer, user or contact message, no
changed price — and the ledger stays sound. The parsers are `core.inputs`, the money
parse `core.money.Money.from_decimal`, the webhook check `payments.services.inbox`, the
NUL check `site.middleware.NulInputMiddleware`."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import responses
from django.test import Client
from django.utils import translation

from sprechzeit.accounts.models import ClientAccount, Listing, User
from sprechzeit.accounts.tests.factories import login_verified, partner_with_listing
from sprechzeit.ledger.models import Transfer
from sprechzeit.ledger.tests.helpers import assert_ledger_sound
from sprechzeit.payments.models import InboxEntry, Payment, ProviderConfig, ProviderKind
from sprechzeit.payments.providers.sandbox import SIGNATURE_HEADER, sign
from sprechzeit.payments.tests import stripe_helpers as sh
from sprechzeit.payments.tests.factories import channel, client, provider_config
from sprechzeit.platforms.models import ContactMessage, Platform
from sprechzeit.platforms.tests.factories import platform_create

pytestmark = pytest.mark.django_db
Response = Any  # the test client's response (JSON or a page)

MOLLIE = "https://api.mollie.com/v2"
PAYPAL = "https://api-m.sandbox.paypal.com"
PAYPAL_HEADERS = {
    "Paypal-Auth-Algo": "SHA256withRSA",
    "Paypal-Cert-Url": "https://api.sandbox.paypal.com/v1/notifications/certs/CERT-1",
    "Paypal-Transmission-Id": "69cd13f0-d67a-11e5-baa3-778b53f4ae55",
    "Paypal-Transmission-Sig": "c2lnbmF0dXJl",
    "Paypal-Transmission-Time": "2026-12-01T12:05:00Z",
}
LONG_EMAIL = "a" * 243 + "@example.com"  # 255 characters
AMOUNT = "Bitte geben Sie einen gültigen Betrag ein."
PRICE = "Bitte einen Preis wie 2,50 eingeben."
ID = "Ungültige Kennung."
NUL = "unzulässiges Steuerzeichen"
TOO_LONG = "höchstens 254 Zeichen"


@dataclass
class World:
    platform: Platform
    account: ClientAccount
    listing: Listing
    sandbox: ProviderConfig
    stripe: ProviderConfig
    mollie: ProviderConfig
    paypal: ProviderConfig
    client: Client
    partner: Client

    @property
    def host(self) -> dict[str, str]:
        return {"host": "a.localhost"}


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    monkeypatch.setenv("STRIPE_SECRET_KEY_TEST", sh.API_KEY)
    monkeypatch.setenv("STRIPE_WEBHOOK_SECRET_TEST", sh.WEBHOOK_SECRET)
    monkeypatch.setenv("MOLLIE_API_KEY_TEST", "test_dHar4XY7LxsDOtmnkVtjNVWXLSlXsM")
    monkeypatch.setenv("PAYPAL_CLIENT_ID_TEST", "AbcClientId")
    monkeypatch.setenv("PAYPAL_SECRET_TEST", "EfgSecret")
    platform = platform_create(slug="a")
    sandbox = provider_config(platform, ProviderKind.SANDBOX)
    channel(sandbox, "sandbox")
    stripe = provider_config(
        platform,
        ProviderKind.STRIPE,
        secret_env="STRIPE_SECRET_KEY_TEST",
        webhook_secret_env="STRIPE_WEBHOOK_SECRET_TEST",
    )
    mollie = provider_config(platform, ProviderKind.MOLLIE, secret_env="MOLLIE_API_KEY_TEST")
    paypal = provider_config(
        platform,
        ProviderKind.PAYPAL,
        client_id_env="PAYPAL_CLIENT_ID_TEST",
        secret_env="PAYPAL_SECRET_TEST",
        webhook_id="1JE4291016473214C",
    )
    account = client(platform)
    browser = Client()
    browser.force_login(account.user, backend="sprechzeit.accounts.backends.PlatformEmailBackend")
    partner, listing = partner_with_listing(platform=platform, rate_minor=199)
    partner_browser = Client()
    login_verified(partner_browser, partner.user)
    responses.start()  # the providers' APIs (Mollie, PayPal): only what a case registers
    try:
        with translation.override("de"):
            yield World(
                platform,
                account,
                listing,
                sandbox,
                stripe,
                mollie,
                paypal,
                browser,
                partner_browser,
            )
    finally:
        responses.stop()
        responses.reset()


# --- the requests ------------------------------------------------------------------------


def directory(query: str) -> Callable[[World], Response]:
    return lambda w: Client().get(f"/berater/?{query}", headers=w.host)


def availability(query: str) -> Callable[[World], Response]:
    return lambda w: Client().get(f"/verfuegbarkeit/?{query}", headers=w.host)


def topup(amount: str) -> Callable[[World], Response]:
    def send(w: World) -> Response:
        policy = w.sandbox.channels.get()
        data = {"channel": str(policy.pk), "amount": amount}
        return w.client.post("/guthaben/aufladen/", data, headers=w.host)

    return send


def api_topup(body: str) -> Callable[[World], Response]:
    def send(w: World) -> Response:
        raw = body.replace("%(policy)s", str(w.sandbox.channels.get().pk))
        return w.client.post(
            "/api/v1/wallet/topups", data=raw, content_type="application/json", headers=w.host
        )

    return send


def listing_rate(rate: str) -> Callable[[World], Response]:
    def send(w: World) -> Response:
        data = {"display_name": "Neu", "headline": "", "description": "", "rate": rate}
        return w.partner.post(f"/partner/profile/{w.listing.pk}/", data, headers=w.host)

    return send


def form(path: str, **data: str) -> Callable[[World], Response]:
    return lambda w: Client().post(path, data, headers=w.host)


def _hook(w: World, config: ProviderConfig, body: str, **headers: str) -> Response:
    return Client().post(
        f"/hooks/payments/{config.pk}/",
        data=body,
        content_type="application/json",
        headers={**w.host, **headers},
    )


def _session(amount: Any) -> dict[str, Any]:
    return sh.session_completed(uuid.uuid4(), 1000) | {"amount_total": amount}


def stripe_hook(body: str | Callable[[], str]) -> Callable[[World], Response]:
    def send(w: World) -> Response:
        payload = body() if callable(body) else body
        return _hook(w, w.stripe, payload, **{"Stripe-Signature": sh.signature_header(payload)})

    return send


def stripe_amount(amount: Any) -> Callable[[World], Response]:
    return stripe_hook(lambda: sh.event("checkout.session.completed", _session(amount)))


def sandbox_hook(payload: Any) -> Callable[[World], Response]:
    def send(w: World) -> Response:
        body = json.dumps(payload)
        signature = sign(w.sandbox.pk, body.encode())
        return _hook(w, w.sandbox, body, **{SIGNATURE_HEADER: signature})

    return send


def _sandbox_event(amount: Any) -> dict[str, Any]:
    return {
        "id": "evt_sb_1",
        "type": "payment.succeeded",
        "payment_id": str(uuid.uuid4()),
        "amount_minor": amount,
        "currency": "EUR",
    }


def mollie_amount(value: Any) -> Callable[[World], Response]:
    def send(w: World) -> Response:
        responses.get(
            f"{MOLLIE}/payments/tr_WDqYK6vllg",
            json={
                "resource": "payment",
                "id": "tr_WDqYK6vllg",
                "mode": "test",
                "amount": {"value": value, "currency": "EUR"},
                "metadata": {"payment_id": str(uuid.uuid4())},
                "status": "paid",
            },
        )
        return Client().post(
            f"/hooks/payments/{w.mollie.pk}/",
            data="id=tr_WDqYK6vllg",
            content_type="application/x-www-form-urlencoded",
            headers=w.host,
        )

    return send


def paypal_hook(payload: Any) -> Callable[[World], Response]:
    def send(w: World) -> Response:
        responses.post(f"{PAYPAL}/v1/oauth2/token", json={"access_token": "A21", "expires_in": 9})
        responses.post(
            f"{PAYPAL}/v1/notifications/verify-webhook-signature",
            json={"verification_status": "SUCCESS"},
        )
        return _hook(w, w.paypal, json.dumps(payload), **PAYPAL_HEADERS)

    return send


def _capture(value: Any) -> dict[str, Any]:
    return {
        "id": "WH-1",
        "event_type": "PAYMENT.CAPTURE.COMPLETED",
        "resource": {
            "id": "3C679366HH908993F",
            "status": "COMPLETED",
            "custom_id": str(uuid.uuid4()),
            "amount": {"value": value, "currency_code": "EUR"},
        },
    }


# --- the cases: (id, request, expected message) --------------------------------------------

CASES: list[tuple[str, Callable[[World], Response], str]] = [
    ("price-NaN", directory("preis_von=NaN"), PRICE),
    ("price-Infinity", directory("preis_von=Infinity"), PRICE),
    ("price-1e999999", directory("preis_von=1e999999"), PRICE),
    ("price-sNaN", directory("preis_bis=sNaN"), PRICE),
    ("availability-superscript", availability("listing=%C2%B2"), ID),
    ("availability-5000-digits", availability("listing=" + "9" * 5000), ID),
    ("availability-overflow", availability("listing=99999999999999999999"), ID),
    ("topup-Infinity", topup("Infinity"), AMOUNT),
    ("topup-NaN", topup("NaN"), AMOUNT),
    ("topup-1e999999", topup("1e999999"), AMOUNT),
    ("api-channel-abc", api_topup('{"amount_minor": 1000, "channel_id": "abc"}'), "channel_id"),
    ("api-channel-object", api_topup('{"amount_minor": 1000, "channel_id": {}}'), "channel_id"),
    ("api-channel-list", api_topup('{"amount_minor": 1000, "channel_id": [1]}'), "channel_id"),
    (
        "api-amount-false",
        api_topup('{"amount_minor": false, "channel_id": %(policy)s}'),
        "amount_minor",
    ),
    ("rate-sNaN", listing_rate("sNaN"), "Bitte einen Betrag wie 1,99 eingeben."),
    ("rate-Infinity", listing_rate("Infinity"), "Bitte einen Betrag wie 1,99 eingeben."),
    (
        "signup-long-email",
        form("/registrieren/", email=LONG_EMAIL, password="x" * 12, accept_terms="on"),
        TOO_LONG,
    ),
    ("login-long-email", form("/anmelden/", email=LONG_EMAIL, password="x"), TOO_LONG),
    ("reset-long-email", form("/passwort/vergessen/", email=LONG_EMAIL), TOO_LONG),
    (
        "contact-long-email",
        form("/kontakt/", email=LONG_EMAIL, subject="Hallo", message="Text", website=""),
        TOO_LONG,
    ),
    ("stripe-json-array", stripe_hook("[1, 2, 3]"), "malformed_event"),
    ("stripe-json-scalar", stripe_hook('"evt"'), "malformed_event"),
    ("stripe-amount-text", stripe_amount("abc"), "malformed_event"),
    ("stripe-amount-bool", stripe_amount(True), "malformed_event"),
    ("stripe-amount-float", stripe_amount(10.5), "malformed_event"),
    ("stripe-amount-huge", stripe_amount(10**30), "malformed_event"),
    ("stripe-nul", stripe_amount("\x00"), "malformed_event"),
    ("sandbox-json-array", sandbox_hook([1, 2]), "malformed_event"),
    ("sandbox-amount-text", sandbox_hook(_sandbox_event("abc")), "malformed_event"),
    ("sandbox-amount-huge", sandbox_hook(_sandbox_event(10**30)), "malformed_event"),
    ("mollie-amount-text", mollie_amount("abc"), "malformed_event"),
    ("mollie-amount-Infinity", mollie_amount("Infinity"), "malformed_event"),
    ("mollie-amount-NaN", mollie_amount("NaN"), "malformed_event"),
    ("paypal-json-array", paypal_hook([1, 2]), "malformed_event"),
    ("paypal-amount-text", paypal_hook(_capture("abc")), "malformed_event"),
    ("paypal-amount-1e999999", paypal_hook(_capture("1e999999")), "malformed_event"),
    ("nul-in-query", directory("kategorie=%00tarot"), NUL),
    ("nul-in-query-key", directory("x%00=1"), NUL),
    ("nul-in-contact-form", form("/kontakt/", email="a@b.de", subject="a\x00", message="b"), NUL),
    ("nul-in-login", form("/anmelden/", email="a\x00@b.de", password="x"), NUL),
    ("nul-in-topup", topup("10\x00"), NUL),
]


def _stored() -> dict[str, Any]:
    return {
        "payments": Payment.objects.count(),
        "inbox": InboxEntry.objects.count(),
        "transfers": Transfer.objects.count(),
        "users": User.objects.count(),
        "contact": ContactMessage.objects.count(),
        "rates": sorted(Listing.objects.values_list("pk", "rate_minor", "display_name")),
    }


def _message(response: Response) -> str:
    if response["Content-Type"].startswith("application/json"):
        body = response.json()
        return f"{body.get('code')} {body.get('message')} {json.dumps(body.get('fields'))}"
    return str(response.content.decode())


@pytest.mark.parametrize(
    ("case", "message"), [(c[1], c[2]) for c in CASES], ids=[c[0] for c in CASES]
)
def test_hostile_input_gets_a_4xx_with_a_message_and_stores_nothing(
    world: World, case: Callable[[World], Response], message: str
) -> None:
    before = _stored()
    response = case(world)
    assert 400 <= response.status_code < 500, (response.status_code, response.content[:500])
    assert message in _message(response)
    assert _stored() == before
    assert_ledger_sound()


def test_the_same_requests_with_good_values_still_work(world: World) -> None:
    """The guards refuse only the hostile values: their sound twins pass."""
    assert directory("preis_von=1,50&preis_bis=4.5")(world).status_code == 200
    ok = availability(f"listing={world.listing.pk}&listing=7")(world)
    assert ok.status_code == 200
    assert str(world.listing.pk) in ok.json()["listings"]
    assert topup("25,00")(world).status_code == 302
    assert Payment.objects.count() == 1
    assert listing_rate("2,49")(world).status_code == 302
    assert Listing.objects.get(pk=world.listing.pk).rate_minor == 249
    email = "b" * 242 + "@example.com"  # 254 characters
    contact = form("/kontakt/", email=email, subject="Hallo", message="Text", website="")(world)
    assert contact.status_code == 302
    assert ContactMessage.objects.get().email == email
    assert sandbox_hook(_sandbox_event(1000))(world).status_code == 200  # stored for review
    assert InboxEntry.objects.count() == 1
    assert_ledger_sound()


def test_a_self_exclusion_for_superscript_days_is_refused_not_a_crash(world: World) -> None:
    """`"²".isdigit()` is true and `int("²")` raises: the form action goes back with its
    message (302, post/redirect/get) and sets nothing."""
    before = _stored()
    response = world.client.post(
        "/guthaben/selbstsperre/", {"days": "²"}, headers=world.host, follow=True
    )
    assert response.redirect_chain[-1][1] == 302
    assert "Die Selbstsperre konnte nicht gesetzt werden." in response.content.decode()
    assert _stored() == before
