"""The test provider's notifications, delivered as a real provider's would: signed,
through the inbox. Used by the hosted TEST MODE checkout, the admin's sandbox actions,
the simulator and the demo."""

from __future__ import annotations

from sprechzeit.accounts.models import ClientAccount
from sprechzeit.core.money import Money
from sprechzeit.payments.models import ChannelPolicy, Payment
from sprechzeit.payments.providers import sandbox
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
