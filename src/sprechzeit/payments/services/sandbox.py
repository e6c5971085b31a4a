"""The test provider's notifications, delivered as a real provider's would: signed,
through the inbox. Used by the hosted TEST MODE checkout, the admin's sandbox actions,
the simulator and the demo."""

from __future__ import annotations

from sprechzeit.payments.models import Payment
from sprechzeit.payments.providers import sandbox
from sprechzeit.payments.services import inbox


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
