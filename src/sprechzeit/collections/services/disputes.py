"""Staff decide a chargeback: notes, evidence, and the outcome with its ledger effect.

- won: what the chargeback debited is restored (an open receivable is settled first;
  the same booking a provider's "won" notice makes, so it is made once either way);
- lost / accepted: the debit stays. Where it took more than the paid balance, the
  client's balance is negative (a receivable) and the client enters dunning.

Every use case writes exactly one audit entry in its own transaction.
"""

from __future__ import annotations

from typing import Final

from django.db import transaction

from sprechzeit.accounts.models import User
from sprechzeit.audit.services import audit_record
from sprechzeit.collections import errors
from sprechzeit.collections.evidence import evidence_verify
from sprechzeit.collections.models import DisputeEvidence, DisputeNote, DunningCase
from sprechzeit.collections.services.dunning import case_open
from sprechzeit.core import clock
from sprechzeit.core.money import Money
from sprechzeit.payments.locks import payment_lock_against_double_booking
from sprechzeit.payments.models import Dispute, DisputeStatus
from sprechzeit.payments.services.bookings import dispute_restore
from sprechzeit.wallets import services as wallets

OUTCOMES: Final = (DisputeStatus.WON, DisputeStatus.LOST, DisputeStatus.ACCEPTED)


def _locked_open(dispute: Dispute) -> Dispute:
    """The dispute re-read under its payment's lock; DisputeDecided unless open."""
    payment_lock_against_double_booking(payment_id=dispute.payment_id)
    locked = (
        Dispute.objects.select_for_update(of=("self",)).select_related("payment").get(pk=dispute.pk)
    )
    if locked.status != DisputeStatus.OPEN:
        raise errors.DisputeDecided(status=locked.status)
    return locked


@transaction.atomic
def dispute_outcome(
    *, actor: User, dispute: Dispute, outcome: str, reason: str = "", ip: str | None = None
) -> DunningCase | None:
    """Close an open dispute as won, lost or accepted and book its effect. Returns the
    dunning case the client entered (lost or accepted with a negative balance)."""
    if outcome not in OUTCOMES:
        raise errors.OutcomeUnknown(outcome=outcome)
    locked = _locked_open(dispute)
    payment = payment_lock_against_double_booking(payment_id=locked.payment_id)
    account = payment.client_account
    now = clock.now()
    restored = Money.zero(payment.currency)
    case = None
    if outcome == DisputeStatus.WON:
        restored = dispute_restore(payment, locked, now=now)
        payment.save()
    else:
        locked.status = outcome
        locked.closed_at = now
        locked.save(update_fields=["status", "closed_at"])
        owed = wallets.wallet_balance(client_account=account).receivable
        if owed.minor > 0:
            case = case_open(client_account=account, now=now)
    balance = wallets.wallet_balance(client_account=account)
    audit_record(
        actor=actor,
        action="dispute.outcome",
        target=locked,
        platform=payment.platform,
        before={"status": DisputeStatus.OPEN},
        after={
            "status": outcome,
            "restored_minor": restored.minor,
            "receivable_minor": balance.receivable.minor,
            "dunning_case": case.pk if case is not None else None,
        },
        reason=reason,
        ip=ip,
    )
    return case


@transaction.atomic
def dispute_note_add(
    *, actor: User, dispute: Dispute, text: str, ip: str | None = None
) -> DisputeNote:
    text = text.strip()
    if not text:
        raise errors.NoteEmpty()
    note = DisputeNote.objects.create(
        dispute=dispute, author=actor, text=text[:5000], created_at=clock.now()
    )
    audit_record(
        actor=actor,
        action="dispute.note",
        target=dispute,
        platform=dispute.payment.platform,
        after={"note": note.pk, "text": note.text[:500]},
        ip=ip,
    )
    return note


@transaction.atomic
def dispute_evidence_add(
    *,
    actor: User,
    dispute: Dispute,
    upload: bytes,
    description: str = "",
    ip: str | None = None,
) -> DisputeEvidence:
    """Store a verified upload (`collections.evidence`: a checked PDF or a re-encoded
    image; EvidenceRefused otherwise) while the dispute is open."""
    locked = _locked_open(dispute)
    clean = evidence_verify(upload)
    number = DisputeEvidence.objects.filter(dispute=locked).count() + 1
    evidence = DisputeEvidence.objects.create(
        dispute=locked,
        uploaded_by=actor,
        description=description.strip()[:200],
        file_name=f"beleg-{locked.pk}-{number}.{clean.extension}",
        content_type=clean.content_type,
        content=clean.content,
        size=len(clean.content),
        pages=clean.pages,
        sha256=clean.sha256,
        uploaded_at=clock.now(),
    )
    audit_record(
        actor=actor,
        action="dispute.evidence",
        target=locked,
        platform=locked.payment.platform,
        after={
            "evidence": evidence.pk,
            "file_name": evidence.file_name,
            "sha256": evidence.sha256,
            "pages": evidence.pages,
        },
        reason=evidence.description,
        ip=ip,
    )
    return evidence
