"""The test provider's notifications, delivered as a real provider's would: signed,
through the inbox. Used by the hosted TEST MODE checkout, the admin's sandbox actions,
the simulator and the demo; and the test card a client picks for saving one."""

from __future__ import annotations

from sprechzeit.accounts.models import ClientAccount
from sprechzeit.core.money import Money
from sprechzeit.payments.errors import MethodNotSavable
from sprechzeit.payments.models import ChannelPolicy, Payment, ProviderKind
from sprechzeit.payments.providers import sandbox
from sprechzeit.payments.providers.saved import SANDBOX_CARD, SANDBOX_DECLINING_CARD
from sprechzeit.payments.saved_models import MethodSetup
from sprechzeit.payments.services import inbox, payments


def sandbox_deliver(
    *, payment: Payment, event_type: str, dispute_id: str = ""
) -> inbox.InboxOutcome:
    """Send a signed sandbox notification through the inbox, as a provider would."""
    body = sandbox.event_body(
        type=event_type,
        payment_id=payment.pk,
        amount=payment.amount,
        fingerprint=f"sandbox:{payment.client_account.user.email.lower()}",
        dispute_id=dispute_id,
    )
    config = payment.provider_config
    return inbox.inbox_receive(
        config=config,
        body=body,
        headers={sandbox.SIGNATURE_HEADER: sandbox.sign(int(config.pk), body)},
    )


def sandbox_top_up(
    *,
    client_account: ClientAccount,
    policy: ChannelPolicy,
    amount: Money,
    return_url: str = "/guthaben/",
) -> Payment:
    """A top-up its payer completes at once on a sandbox channel: started like any
    checkout, then the provider's success delivered through the inbox (the simulator's
    and the demo's clients). Raises what `payment_start` raises."""
    payment = payments.payment_start(
        client_account=client_account,
        policy=policy,
        amount=amount,
        return_url=return_url,
        cancel_url="/guthaben/",
        webhook_url="/hooks/sandbox/",
    )
    sandbox_deliver(payment=payment, event_type="payment.succeeded")
    return payment


def sandbox_card_choose(*, setup: MethodSetup, card: str) -> None:
    """The client picked a test card on the sandbox's page for saving one
    (`providers.saved.SandboxMethods`): the declining card is marked on the setup's
    reference, which the adapter reads back when the setup is confirmed. A setup that
    has saved its method already stays as it is."""
    if card not in (SANDBOX_CARD, SANDBOX_DECLINING_CARD):
        raise MethodNotSavable()
    if setup.method_id is not None or setup.provider_config.kind != ProviderKind.SANDBOX:
        return
    base = setup.external_ref.removesuffix(f"-{SANDBOX_DECLINING_CARD}")
    setup.external_ref = f"{base}-{card}" if card == SANDBOX_DECLINING_CARD else base
    setup.save(update_fields=["external_ref"])
