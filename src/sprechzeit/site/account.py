"""The client's own account as a use case spanning several domains: the data export
(GDPR Art. 15 and 20); closing the account with a refund request is
`support.services.client_account_close` (the back office closes accounts with it too),
re-exported here for the account page.

It lives at the edge because it composes consultations, payments and wallets; each step
still goes through that domain's own selectors and services."""

from __future__ import annotations

from typing import Any

from sprechzeit.accounts.models import ClientAccount
from sprechzeit.consultations.models import ChatMessage, Consultation, Rating
from sprechzeit.core import clock
from sprechzeit.legal.selectors import consents_of
from sprechzeit.payments.models import Payment
from sprechzeit.support.services.closure import (
    Closure,
    ConsultationStillOpen,
    client_account_close,
)
from sprechzeit.wallets.services import wallet_balance

__all__ = ["Closure", "ConsultationStillOpen", "client_account_close", "client_data_export"]


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def client_data_export(*, account: ClientAccount) -> dict[str, Any]:
    user = account.user
    balance = wallet_balance(client_account=account)
    consultations = (
        Consultation.objects.filter(client=account)
        .select_related("listing")
        .order_by("requested_at")
    )
    messages: dict[Any, list[dict[str, Any]]] = {}
    for message in ChatMessage.objects.filter(consultation__client=account).order_by("sent_at"):
        messages.setdefault(message.consultation_id, []).append(
            {"from": message.sender, "at": _iso(message.sent_at), "text": message.body}
        )
    ratings = {r.consultation_id: r for r in Rating.objects.filter(consultation__client=account)}
    return {
        "exported_at": _iso(clock.now()),
        "platform": account.platform.name,
        "profile": {
            "email": user.email,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "language": user.language,
            "registered_at": _iso(user.date_joined),
            "email_verified_at": _iso(user.email_verified_at),
        },
        "account": {
            "customer_number": account.customer_number,
            "phone_number": account.phone_number,
            "phone_pin_set": bool(account.phone_pin_hash),
        },
        "balance_minor": {
            "paid": balance.paid.minor,
            "bonus": balance.bonus.minor,
            "currency": balance.paid.currency,
        },
        "payments": [
            {
                "id": str(p.id),
                "channel": p.channel,
                "amount_minor": p.amount_minor,
                "currency": p.currency,
                "status": p.status,
                "created_at": _iso(p.created_at),
                "refunded_minor": p.refunded_minor,
                "charged_back_minor": p.charged_back_minor,
            }
            for p in Payment.objects.filter(client_account=account).order_by("created_at")
        ],
        "consultations": [
            {
                "id": str(c.id),
                "partner": c.listing.display_name,
                "channel": c.channel,
                "status": c.status,
                "started_at": _iso(c.started_at),
                "ended_at": _iso(c.ended_at),
                "billed_seconds": c.billed_seconds,
                "rate_minor": c.rate_minor,
                "amount_minor": c.amount_minor,
                "messages": messages.get(c.id, []),
                "rating": (
                    {"stars": ratings[c.id].stars, "text": ratings[c.id].text}
                    if c.id in ratings
                    else None
                ),
            }
            for c in consultations
        ],
        "consents": [
            {
                "document": consent.document.kind,
                "version": consent.document.version,
                "purpose": consent.purpose,
                "at": _iso(consent.at),
                "ip": consent.ip,
            }
            for consent in consents_of(user=user)
        ],
    }
