"""Saved payment methods through the providers' SDKs: storing a method for later and
charging it without the client (off-session), one adapter per provider.

- Stripe: a Customer, a Checkout Session in `setup` mode (Stripe's hosted page creates
  the SetupIntent and collects the card), the SetupIntent's PaymentMethod saved; a
  charge is a PaymentIntent with `off_session=True, confirm=True`; removing detaches
  the PaymentMethod.
- Mollie: a Customer, a first payment (`sequenceType=first`, a real top-up) whose
  mandate is saved once it is paid; a charge is a payment with `sequenceType=recurring`
  and the mandate; removing revokes the mandate.
- Sandbox (demo and tests only): the client picks a test card on the sandbox's own
  page (`/testkasse/karte/<setup>/`, like Stripe's hosted page): "TEST •••• 4242",
  whose charges succeed at once, or "TEST •••• 0002", whose charges the "bank"
  declines (the failure path a real card can take off-session).

Adapters never touch the database: they answer in the frozen types below, and a charge
answers with the `PaymentUpdate` the payment services apply like a webhook's.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, Protocol

import stripe
from django.conf import settings
from django.urls import reverse
from mollie.api.client import Client as MollieClient
from mollie.api.error import Error as MollieError
from mollie.api.objects.customer import Customer as MollieCustomer
from mollie.api.resources.mandates import CustomerMandates

from sprechzeit.core.money import Money
from sprechzeit.payments.errors import ProviderNotConfigured, ProviderUnavailable
from sprechzeit.payments.models import ProviderConfig, ProviderKind
from sprechzeit.payments.providers import config_secret
from sprechzeit.payments.providers.base import PaymentUpdate, UpdateKind

# The sandbox's test cards (the last four digits): one the "bank" charges, one it declines.
SANDBOX_CARD: Final = "4242"
SANDBOX_DECLINING_CARD: Final = "0002"


@dataclass(frozen=True, slots=True, kw_only=True)
class SetupStart:
    customer_ref: str
    external_ref: str  # Stripe: the setup Checkout Session; Mollie: the first payment
    redirect_url: str


@dataclass(frozen=True, slots=True, kw_only=True)
class SavedInfo:
    method_ref: str  # Stripe: pm_…; Mollie: mdt_…
    label: str  # what the client recognises, e.g. "Visa •••• 4242"


@dataclass(frozen=True, slots=True, kw_only=True)
class ChargeCall:
    payment_id: uuid.UUID
    customer_ref: str
    method_ref: str
    amount: Money
    description: str
    webhook_url: str
    idempotency_key: str


class MethodStore(Protocol):
    def customer_create(self, *, email: str, reference: str) -> str: ...

    def setup_start(
        self,
        *,
        setup_id: uuid.UUID,
        customer_ref: str,
        first_payment: ChargeCall | None,
        return_url: str,
        cancel_url: str,
    ) -> SetupStart: ...

    def setup_result(self, *, customer_ref: str, external_ref: str) -> SavedInfo | None: ...

    def charge(self, call: ChargeCall) -> PaymentUpdate: ...

    def method_remove(self, *, customer_ref: str, method_ref: str) -> None: ...


def _label(brand: str, last4: str) -> str:
    return f"{brand.title()} •••• {last4}" if last4 else brand.title()


class StripeMethods:
    def __init__(self, *, api_key: str) -> None:
        self.api_key = api_key

    def _client(self) -> stripe.StripeClient:
        return stripe.StripeClient(self.api_key, max_network_retries=2)

    def customer_create(self, *, email: str, reference: str) -> str:
        try:
            customer = self._client().v1.customers.create(
                params={"email": email, "metadata": {"client": reference}},
                options={"idempotency_key": f"customer-{reference}"},
            )
        except stripe.StripeError as exc:
            raise ProviderUnavailable(provider="stripe", detail=str(exc)) from exc
        return str(customer.id)

    def setup_start(
        self,
        *,
        setup_id: uuid.UUID,
        customer_ref: str,
        first_payment: ChargeCall | None,
        return_url: str,
        cancel_url: str,
    ) -> SetupStart:
        try:
            session = self._client().v1.checkout.sessions.create(
                params={  # type: ignore[arg-type]
                    "mode": "setup",
                    "customer": customer_ref,
                    "currency": "eur",
                    "payment_method_types": ["card"],
                    "setup_intent_data": {"metadata": {"customer": customer_ref}},
                    "success_url": return_url,
                    "cancel_url": cancel_url,
                }
            )
        except stripe.StripeError as exc:
            raise ProviderUnavailable(provider="stripe", detail=str(exc)) from exc
        return SetupStart(
            customer_ref=customer_ref, external_ref=str(session.id), redirect_url=str(session.url)
        )

    def setup_result(self, *, customer_ref: str, external_ref: str) -> SavedInfo | None:
        client = self._client()
        try:
            session = client.v1.checkout.sessions.retrieve(external_ref)
            intent_id = session.setup_intent
            if not intent_id:
                return None
            intent = client.v1.setup_intents.retrieve(str(intent_id))
            if intent.status != "succeeded" or not intent.payment_method:
                return None
            method = client.v1.payment_methods.retrieve(str(intent.payment_method))
        except stripe.StripeError as exc:
            raise ProviderUnavailable(provider="stripe", detail=str(exc)) from exc
        card = method.to_dict().get("card") or {}
        return SavedInfo(
            method_ref=str(method.id),
            label=_label(str(card.get("brand", "card")), str(card.get("last4", ""))),
        )

    def charge(self, call: ChargeCall) -> PaymentUpdate:
        try:
            intent = self._client().v1.payment_intents.create(
                params={
                    "amount": call.amount.minor,
                    "currency": call.amount.currency.lower(),
                    "customer": call.customer_ref,
                    "payment_method": call.method_ref,
                    "off_session": True,
                    "confirm": True,
                    "description": call.description,
                    "metadata": {"payment_id": str(call.payment_id)},
                },
                options={"idempotency_key": call.idempotency_key},
            )
        except stripe.CardError as exc:  # declined, or the bank wants the client present
            body: Mapping[str, Any] = exc.json_body if isinstance(exc.json_body, Mapping) else {}
            error: Mapping[str, Any] = body.get("error") or {}
            return PaymentUpdate(
                kind=UpdateKind.FAILED,
                payment_id=call.payment_id,
                external_id=str((error.get("payment_intent") or {}).get("id", "")),
                reason=str(error.get("decline_code") or error.get("code") or "card_error"),
            )
        except stripe.StripeError as exc:
            raise ProviderUnavailable(provider="stripe", detail=str(exc)) from exc
        kinds = {"succeeded": UpdateKind.SUCCEEDED, "processing": UpdateKind.PROCESSING}
        return PaymentUpdate(
            kind=kinds.get(str(intent.status), UpdateKind.FAILED),
            payment_id=call.payment_id,
            external_id=str(intent.id),
            reason="" if intent.status in kinds else str(intent.status),
        )

    def method_remove(self, *, customer_ref: str, method_ref: str) -> None:
        try:
            self._client().v1.payment_methods.detach(method_ref)
        except stripe.InvalidRequestError:
            return  # already detached at Stripe
        except stripe.StripeError as exc:
            raise ProviderUnavailable(provider="stripe", detail=str(exc)) from exc


def _value(amount: Money) -> dict[str, str]:
    return {"currency": amount.currency, "value": f"{amount.amount:.2f}"}


_MOLLIE_KINDS: Mapping[str, UpdateKind] = {
    "paid": UpdateKind.SUCCEEDED,
    "pending": UpdateKind.PROCESSING,
    "open": UpdateKind.PROCESSING,
    "failed": UpdateKind.FAILED,
    "canceled": UpdateKind.CANCELED,
    "expired": UpdateKind.CANCELED,
}


class MollieMethods:
    def __init__(self, *, api_key: str) -> None:
        self.api_key = api_key

    def _client(self) -> MollieClient:
        client = MollieClient(retry=0)
        client.set_api_key(self.api_key)
        return client

    def customer_create(self, *, email: str, reference: str) -> str:
        try:
            customer = self._client().customers.create(
                {"email": email, "metadata": {"client": reference}}
            )
        except MollieError as exc:
            raise ProviderUnavailable(provider="mollie", detail=str(exc)) from exc
        return str(customer["id"])

    def _payment(self, call: ChargeCall, sequence: str, extra: dict[str, Any]) -> Any:
        data: dict[str, Any] = {
            "amount": _value(call.amount),
            "description": call.description,
            "sequenceType": sequence,
            "customerId": call.customer_ref,
            "webhookUrl": call.webhook_url,
            "metadata": {"payment_id": str(call.payment_id)},
            **extra,
        }
        try:
            return self._client().payments.create(data, idempotency_key=call.idempotency_key)
        except MollieError as exc:
            raise ProviderUnavailable(provider="mollie", detail=str(exc)) from exc

    def setup_start(
        self,
        *,
        setup_id: uuid.UUID,
        customer_ref: str,
        first_payment: ChargeCall | None,
        return_url: str,
        cancel_url: str,
    ) -> SetupStart:
        if first_payment is None:  # Mollie's mandate comes from a real first payment
            raise ProviderUnavailable(provider="mollie", detail="first payment needed")
        payment = self._payment(
            first_payment, "first", {"redirectUrl": return_url, "cancelUrl": cancel_url}
        )
        return SetupStart(
            customer_ref=customer_ref,
            external_ref=str(payment["id"]),
            redirect_url=str(payment.checkout_url),
        )

    def setup_result(self, *, customer_ref: str, external_ref: str) -> SavedInfo | None:
        client = self._client()
        try:
            payment = dict(client.payments.get(external_ref))
            mandate_id = payment.get("mandateId")
            if payment.get("status") != "paid" or not mandate_id:
                return None
            customer = MollieCustomer({"id": customer_ref}, client)  # type: ignore[no-untyped-call]
            mandate = dict(CustomerMandates(client, customer).get(str(mandate_id)))
        except MollieError as exc:
            raise ProviderUnavailable(provider="mollie", detail=str(exc)) from exc
        if mandate.get("status") not in ("valid", "pending"):
            return None
        details = mandate.get("details") or {}
        if mandate.get("method") == "creditcard":
            label = _label(
                str(details.get("cardLabel") or "Karte"), str(details.get("cardNumber") or "")
            )
        else:
            account = str(details.get("consumerAccount") or "")
            label = f"SEPA •••• {account[-4:]}" if account else str(mandate.get("method", ""))
        return SavedInfo(method_ref=str(mandate["id"]), label=label)

    def charge(self, call: ChargeCall) -> PaymentUpdate:
        payment = self._payment(call, "recurring", {"mandateId": call.method_ref})
        status = str(payment["status"])
        return PaymentUpdate(
            kind=_MOLLIE_KINDS.get(status, UpdateKind.PROCESSING),
            payment_id=call.payment_id,
            external_id=str(payment["id"]),
        )

    def method_remove(self, *, customer_ref: str, method_ref: str) -> None:
        client = self._client()
        try:
            customer = MollieCustomer({"id": customer_ref}, client)  # type: ignore[no-untyped-call]
            CustomerMandates(client, customer).delete(method_ref)
        except MollieError as exc:
            raise ProviderUnavailable(provider="mollie", detail=str(exc)) from exc


class SandboxMethods:
    """The demo's TEST MODE cards, chosen on the sandbox's page: 4242 is saved and
    charged at once; 0002 is saved, but the "bank" declines every charge. A setup
    confirmed without a choice (no page in between) saves 4242."""

    def customer_create(self, *, email: str, reference: str) -> str:
        return f"sandbox-customer-{reference}"

    def setup_start(
        self,
        *,
        setup_id: uuid.UUID,
        customer_ref: str,
        first_payment: ChargeCall | None,
        return_url: str,
        cancel_url: str,
    ) -> SetupStart:
        return SetupStart(
            customer_ref=customer_ref,
            external_ref=f"sandbox-setup-{uuid.uuid4().hex[:12]}",
            redirect_url=reverse("payments:sandbox_card", args=[setup_id]),
        )

    def setup_result(self, *, customer_ref: str, external_ref: str) -> SavedInfo | None:
        declining = external_ref.endswith(f"-{SANDBOX_DECLINING_CARD}")
        card = SANDBOX_DECLINING_CARD if declining else SANDBOX_CARD
        # "sandbox-card-<id>", and "-0002" at the end for the declining card.
        return SavedInfo(
            method_ref=external_ref.replace("setup", "card"), label=f"TEST •••• {card}"
        )

    def charge(self, call: ChargeCall) -> PaymentUpdate:
        if call.method_ref.endswith(f"-{SANDBOX_DECLINING_CARD}"):
            return PaymentUpdate(
                kind=UpdateKind.FAILED,
                payment_id=call.payment_id,
                external_id=f"sandbox-{call.payment_id}",
                reason="card_declined",
            )
        return PaymentUpdate(
            kind=UpdateKind.SUCCEEDED,
            payment_id=call.payment_id,
            external_id=f"sandbox-{call.payment_id}",
            amount=call.amount,
        )

    def method_remove(self, *, customer_ref: str, method_ref: str) -> None:
        return None


# Providers whose methods can be saved; Mollie's setup is a first top-up.
SAVABLE = frozenset({ProviderKind.STRIPE, ProviderKind.MOLLIE, ProviderKind.SANDBOX})
NEEDS_FIRST_PAYMENT = frozenset({ProviderKind.MOLLIE})


def methods_for(config: ProviderConfig) -> MethodStore:
    kind = config.kind
    if kind == ProviderKind.STRIPE:
        return StripeMethods(api_key=config_secret(config.secret_env))
    if kind == ProviderKind.MOLLIE:
        return MollieMethods(api_key=config_secret(config.secret_env))
    if kind == ProviderKind.SANDBOX and str(settings.SPRECHZEIT_MODE) != "production":
        return SandboxMethods()
    raise ProviderNotConfigured(kind=kind)
