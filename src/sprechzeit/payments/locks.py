"""Row locks of the payments app, each named for the race it prevents. Every lock is
taken inside the caller's transaction and held until it commits."""

from __future__ import annotations

import uuid

from sprechzeit.payments.models import Payment


def payment_lock_against_double_booking(*, payment_id: uuid.UUID) -> Payment:
    """Lock one payment row (FOR UPDATE) and return it with what its bookings need.

    Race it prevents: two deliveries of news about one payment (a webhook and its
    retry, the return page and the webhook, a bank statement and a chargeback) both
    reading the payment as not credited yet and both booking the credit, fee or
    chargeback. Every change to a payment and its bookings happens under this lock, so
    they run one after the other and the second finds the first's work done.
    """
    return (
        Payment.objects.select_for_update(of=("self",))
        .select_related(
            "client_account__platform", "client_account__user", "provider_config__platform"
        )
        .get(pk=payment_id)
    )
