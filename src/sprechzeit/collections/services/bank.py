"""Staff clear the unmatched-payments queue: a bank line credited to the client it
belongs to or set aside, a failed provider notification processed again. One audit
entry per action, in its transaction."""

from __future__ import annotations

from django.db import transaction

from sprechzeit.accounts.models import User
from sprechzeit.audit.services import audit_record
from sprechzeit.collections import errors
from sprechzeit.payments.models import (
    BankEntry,
    BankEntryStatus,
    InboxEntry,
    InboxStatus,
)
from sprechzeit.payments.services import bank, inbox


@transaction.atomic
def bank_entry_assign(
    *, actor: User, entry: BankEntry, customer_number: str, ip: str | None = None
) -> BankEntry:
    """Credit an incoming line waiting for review to the client with this number."""
    locked = (
        BankEntry.objects.select_for_update(of=("self",))
        .select_related("provider_config__platform")
        .get(pk=entry.pk)
    )
    if locked.status != BankEntryStatus.REVIEW:
        raise errors.EntryNotOpen()
    bank.entry_assign(entry=locked, customer_number=customer_number)
    audit_record(
        actor=actor,
        action="bank_entry.assign",
        target=locked,
        platform=locked.provider_config.platform,
        before={"status": BankEntryStatus.REVIEW},
        after={
            "status": locked.status,
            "customer_number": customer_number.strip(),
            "amount_minor": locked.amount_minor,
        },
        ip=ip,
    )
    return locked


@transaction.atomic
def bank_entry_ignore(
    *, actor: User, entry: BankEntry, reason: str, ip: str | None = None
) -> BankEntry:
    """Set a line aside as not ours to book (a reason is required)."""
    if not reason.strip():
        raise errors.ReasonRequired()
    locked = (
        BankEntry.objects.select_for_update(of=("self",))
        .select_related("provider_config__platform")
        .get(pk=entry.pk)
    )
    if locked.status != BankEntryStatus.REVIEW:
        raise errors.EntryNotOpen()
    locked.status = BankEntryStatus.IGNORED
    locked.note = reason.strip()[:300]
    locked.save(update_fields=["status", "note"])
    audit_record(
        actor=actor,
        action="bank_entry.ignore",
        target=locked,
        platform=locked.provider_config.platform,
        before={"status": BankEntryStatus.REVIEW},
        after={"status": locked.status},
        reason=reason.strip(),
        ip=ip,
    )
    return locked


@transaction.atomic
def inbox_entry_retry(*, actor: User, entry: InboxEntry, ip: str | None = None) -> InboxEntry:
    """Process a failed provider notification again (what it says is applied once)."""
    if entry.status not in (InboxStatus.FAILED, InboxStatus.RECEIVED):
        raise errors.EntryNotOpen()
    before = entry.status
    status = inbox.inbox_process(entry_id=entry.pk)
    entry.refresh_from_db()
    audit_record(
        actor=actor,
        action="inbox.retry",
        target=entry,
        platform=entry.provider_config.platform,
        before={"status": before},
        after={"status": status, "note": entry.note[:300]},
        ip=ip,
    )
    return entry
