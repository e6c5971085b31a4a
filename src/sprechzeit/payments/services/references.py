"""Stable bank transfer references: an ISO 11649 RF creditor reference per client."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from stdnum import iso11649

from sprechzeit.accounts.models import ClientAccount
from sprechzeit.payments.models import TransferReference


def rf_reference(body: str) -> str:
    """The RF creditor reference for `body` (alphanumeric): "RF" + check digits + body,
    computed as ISO 11649 prescribes (mod 97 over the body followed by "RF00")."""
    body = body.upper()
    digits = "".join(str(int(char, 36)) for char in body + "RF00")
    check = 98 - int(digits) % 97
    reference = f"RF{check:02d}{body}"
    return str(iso11649.validate(reference))


def transfer_reference_for(*, client_account: ClientAccount) -> str:
    """The client's reference, created on first use: platform id, "K" and customer number
    (unique across platforms, stable forever)."""
    existing = TransferReference.objects.filter(client_account=client_account).first()
    if existing is not None:
        return existing.reference
    reference = rf_reference(f"{client_account.platform_id}K{client_account.customer_number}")
    try:
        with transaction.atomic():
            TransferReference.objects.create(client_account=client_account, reference=reference)
    except IntegrityError:
        pass
    return TransferReference.objects.get(client_account=client_account).reference


def reference_normalise(text: str) -> str:
    return "".join(text.split()).upper()


def format_reference(reference: str) -> str:
    """RF18 5390 0754 7034: groups of four, as printed on the top-up page."""
    return str(iso11649.format(reference))
