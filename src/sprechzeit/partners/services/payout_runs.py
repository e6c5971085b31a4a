"""Payout runs from the console: start a run for an issuing entity (the file is written
and checked by `payouts.payout_run_create`), mark it handed to the bank."""

from __future__ import annotations

from django.db import transaction

from sprechzeit.accounts.models import User
from sprechzeit.audit.services import audit_record
from sprechzeit.core import clock
from sprechzeit.partners import errors
from sprechzeit.partners.models import PayoutRunSent
from sprechzeit.payouts.models import PayoutRun
from sprechzeit.payouts.services import payout_run_create
from sprechzeit.platforms.models import LegalEntity


def payout_run_start(*, legal_entity: LegalEntity, actor: User, ip: str | None = None) -> PayoutRun:
    """Start a run; its audit entry commits in the run's own transaction. Raises the
    payouts errors (`NothingToPay` with who was skipped and why, `DebtorAccountMissing`)."""

    def audited(run: PayoutRun) -> None:
        audit_record(
            actor=actor,
            action="payout.run_start",
            target=run,
            after={
                "legal_entity": legal_entity.pk,
                "count": run.count,
                "total_minor": run.total_minor,
                "skipped": len(run.skipped),
            },
            ip=ip,
        )

    return payout_run_create(legal_entity=legal_entity, within=audited)


@transaction.atomic
def payout_run_mark_sent(*, run: PayoutRun, actor: User, ip: str | None = None) -> PayoutRunSent:
    """Record that the run's file went to the bank (once)."""
    PayoutRun.objects.select_for_update().filter(pk=run.pk).first()
    if PayoutRunSent.objects.filter(run=run).exists():
        raise errors.PayoutRunAlreadySent()
    sent = PayoutRunSent.objects.create(run=run, sent_at=clock.now(), sent_by=actor)
    audit_record(
        actor=actor,
        action="payout.run_sent",
        target=run,
        before={"sent": False},
        after={"sent": True, "message_id": run.message_id},
        ip=ip,
    )
    return sent
