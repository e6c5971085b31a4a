"""Payment reads. Tenant-owned reads take the platform (or its client) first."""

from __future__ import annotations

import uuid

from django.db.models import QuerySet

from sprechzeit.accounts.models import ClientAccount
from sprechzeit.payments.models import Payment


def payments_of(client_account: ClientAccount) -> QuerySet[Payment]:
    return Payment.objects.filter(client_account=client_account).order_by("-created_at")


def payment_of(client_account: ClientAccount, *, payment_id: uuid.UUID | str) -> Payment | None:
    return payments_of(client_account).filter(pk=payment_id).first()
