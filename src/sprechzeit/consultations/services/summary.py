"""The summary a room shows once a consultation's end is booked: duration, the amount of
the side that sees it (the client's cost; the partner's own share, never what the client
paid), why it ended, the client's balance now and whether the client may rate it."""

from __future__ import annotations

from sprechzeit.consultations.models import Consultation, Rating
from sprechzeit.consultations.protocol import EndSummary, Role
from sprechzeit.consultations.services.ratings import MIN_RATED_PAID_SECONDS
from sprechzeit.wallets.services import wallet_balance


def consultation_summary(*, consultation: Consultation, role: Role) -> EndSummary | None:
    """None until the end is booked (`settled`). The amount is the side's own: what the
    client paid, or the partner's share of it. The balance is the client's only: the
    partner's summary leaves it out."""
    if consultation.status != Consultation.Status.SETTLED:
        return None
    rated = Rating.objects.filter(consultation=consultation).exists()
    balance = None
    if role == "client":
        balance = wallet_balance(client_account=consultation.client).total.minor
    billed = consultation.billed_seconds or 0
    amount = consultation.amount_minor if role == "client" else consultation.partner_share_minor
    return {
        "reason": consultation.end_reason or None,
        "duration_seconds": consultation.duration_seconds,
        "billed_seconds": consultation.billed_seconds,
        "amount_minor": amount,
        "currency": consultation.currency,
        "balance_minor": balance,
        "rateable": role == "client"
        and not rated
        and billed >= MIN_RATED_PAID_SECONDS
        and bool(consultation.amount_minor),
        "rated": rated,
        "rating_min_seconds": MIN_RATED_PAID_SECONDS,
    }
