"""Write-offs: a dunning case's receivable booked as the operator's chargeback loss
(`wallets.wallet_write_off`: chargeback loss → client receivable; the partner's share
is never touched), with a `WriteOff` record for the accountant."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Final

from django.db import transaction

from sprechzeit.accounts.models import User
from sprechzeit.audit.services import audit_record
from sprechzeit.collections import errors
from sprechzeit.collections.locks import case_lock_against_double_step
from sprechzeit.collections.models import CaseStatus, DunningCase, WriteOff
from sprechzeit.core import clock
from sprechzeit.wallets import services as wallets
from sprechzeit.wallets.services.accounts import leg_id

WRITE_OFF_NAMESPACE: Final = uuid.UUID("0b6a4f3e-7d21-4c9a-8e55-31f0c2d7a9b4")


def case_write_off(
    case: DunningCase,
    *,
    now: datetime,
    actor: User | None,
    reason: str,
    ip: str | None = None,
) -> WriteOff:
    """Write off what a locked, active case's client owes and close the case; one audit
    entry (`actor` None: the dunning run)."""
    if not case.active:
        raise errors.CaseClosed()
    base = uuid.uuid5(WRITE_OFF_NAMESPACE, f"case:{case.pk}")
    amount = wallets.wallet_write_off(
        client_account=case.client_account, id=base, reference=f"dunning:{case.pk}"
    )
    if amount.minor <= 0:
        raise errors.NothingOwed()
    write_off = WriteOff.objects.create(
        platform=case.platform,
        client_account=case.client_account,
        case=case,
        amount_minor=amount.minor,
        currency=amount.currency,
        transfer_id=leg_id(base, "write_off"),
        reason=reason[:300],
        by=actor,
        written_off_at=now,
    )
    before = case.status
    case.status = CaseStatus.WRITTEN_OFF
    case.closed_at = now
    case.save(update_fields=["status", "closed_at"])
    audit_record(
        actor=actor,
        action="dunning.write_off",
        target=case,
        platform=case.platform,
        before={"status": before},
        after={
            "status": case.status,
            "amount_minor": write_off.amount_minor,
            "transfer_id": str(write_off.transfer_id),
        },
        reason=write_off.reason,
        ip=ip,
    )
    return write_off


@transaction.atomic
def dunning_write_off(
    *, actor: User, case: DunningCase, reason: str, ip: str | None = None
) -> WriteOff:
    """Staff write a case off before the plan's last step (a reason is required)."""
    if not reason.strip():
        raise errors.ReasonRequired()
    locked = case_lock_against_double_step(case_id=case.pk)
    return case_write_off(locked, now=clock.now(), actor=actor, reason=reason.strip(), ip=ip)
