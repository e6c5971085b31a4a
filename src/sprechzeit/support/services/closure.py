"""Closing a client's account: the client's own "Konto schließen" and the back office's
use the same service (moved here from the site, which re-exports it)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from sprechzeit.accounts.models import ClientAccount
from sprechzeit.consultations.models import Consultation
from sprechzeit.core.errors import DomainError
from sprechzeit.payments.errors import RefundNotPossible
from sprechzeit.payments.models import RefundRequest
from sprechzeit.payments.services.refunds import refund_request_create


class ConsultationStillOpen(DomainError):
    code = "consultation_still_open"
    http_status = 409
    default_message = "An open consultation must end before the account can be closed."


@dataclass(frozen=True, slots=True)
class Closure:
    refund_request: RefundRequest | None


@transaction.atomic
def client_account_close(*, account: ClientAccount) -> Closure:
    """Close a client's account: refuse while a consultation is open; ask for a refund of
    the unused paid balance (bonus is not refunded); deactivate the login.

    Records stay (bookkeeping must keep them for ten years, § 147 AO); the login cannot be
    used again.
    """
    if Consultation.objects.filter(client=account, status__in=Consultation.OPEN).exists():
        raise ConsultationStillOpen()
    try:
        refund: RefundRequest | None = refund_request_create(client_account=account)
    except RefundNotPossible:
        refund = None  # nothing paid is left (or a request already waits)
    user = account.user
    user.is_active = False
    user.save(update_fields=["is_active"])
    return Closure(refund_request=refund)
