"""What an operator entity booked in a period, read from the ledger.

An entity's accounts are its own (input VAT, § 13b VAT, payouts in transit, bank), its
platforms' system accounts, its platforms' clients' wallets and its platforms' payment
provider accounts. A booking belongs to the entity when one side is one of them (the
other side may be a partner's payable, which is per partner, not per entity). Only
posted movements count: single transfers and posted holds; a hold itself, its release
and its expiry move no posted balance.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.db.models import CharField, Q, QuerySet
from django.db.models.functions import Cast
from django.utils import timezone

from sprechzeit.accounts.models import ClientAccount
from sprechzeit.consultations.models import Consultation
from sprechzeit.ledger.models import Account, Transfer, TransferKind
from sprechzeit.payments.models import ProviderConfig
from sprechzeit.payouts.models import Payout
from sprechzeit.platforms.models import LegalEntity, Platform
from sprechzeit.statements.models import Statement
from sprechzeit.statements.periods import Period

OWNER_ENTITY = "platforms.legalentity"
OWNER_PLATFORM = "platforms.platform"
OWNER_CLIENT = "accounts.clientaccount"
OWNER_CONFIG = "payments.providerconfig"
POSTED_KINDS = (TransferKind.SINGLE, TransferKind.POST_PENDING)
# The legs of a consultation's charge split (after the charge itself in the export).
SPLIT_LEGS = ("consultation_vat", "consultation_partner", "consultation_revenue")


@dataclass(frozen=True, slots=True)
class Movement:
    """One posted ledger transfer of the entity, with the purposes of its two accounts."""

    id: str
    day: date
    amount_minor: int
    debit_account_id: int
    credit_account_id: int
    debit_kind: str
    credit_kind: str
    purpose: str
    reference: str
    batch_id: str


def entity_accounts(*, legal_entity: LegalEntity) -> QuerySet[Account]:
    """The ledger accounts that belong to `legal_entity` (see the module docstring)."""
    platforms = Platform.objects.filter(legal_entity=legal_entity)
    as_text = Cast("pk", CharField())
    clients = ClientAccount.objects.filter(platform__in=platforms).annotate(key=as_text)
    configs = ProviderConfig.objects.filter(platform__in=platforms).annotate(key=as_text)
    return Account.objects.filter(
        Q(owner_type=OWNER_ENTITY, owner_id=str(legal_entity.pk))
        | Q(owner_type=OWNER_PLATFORM, owner_id__in=platforms.annotate(key=as_text).values("key"))
        | Q(owner_type=OWNER_CLIENT, owner_id__in=clients.values("key"))
        | Q(owner_type=OWNER_CONFIG, owner_id__in=configs.values("key"))
    )


def period_movements(*, legal_entity: LegalEntity, period: Period) -> list[Movement]:
    """The entity's posted transfers booked in `period` (operator's calendar days), in
    booking order; transfers booked at the same moment (one batch) keep a stable order:
    a charge before its split, then by id."""
    start, end = period.bounds()
    ids = entity_accounts(legal_entity=legal_entity).values("pk")
    transfers = list(
        Transfer.objects.filter(kind__in=POSTED_KINDS, created_at__gte=start, created_at__lt=end)
        .filter(Q(debit_account_id__in=ids) | Q(credit_account_id__in=ids))
        .order_by("created_at", "id")
    )
    transfers.sort(key=lambda t: (t.created_at, t.purpose in SPLIT_LEGS, str(t.pk)))
    touched = {t.debit_account_id for t in transfers} | {t.credit_account_id for t in transfers}
    purposes = dict(Account.objects.filter(pk__in=touched).values_list("pk", "purpose"))
    return [
        Movement(
            id=str(t.pk),
            day=timezone.localdate(t.created_at),
            amount_minor=t.amount,
            debit_account_id=t.debit_account_id,
            credit_account_id=t.credit_account_id,
            debit_kind=purposes[t.debit_account_id],
            credit_kind=purposes[t.credit_account_id],
            purpose=t.purpose,
            reference=t.reference,
            batch_id=str(t.batch_id or t.pk),
        )
        for t in transfers
    ]


def document_numbers(references: Iterable[str]) -> dict[str, str]:
    """The document number behind each `statement:N` and `payout:N` reference: the
    credit note's number, and for a payout the number of the credit note it pays (its
    end-to-end id), so the payout clears the credit note's open item."""
    wanted: dict[str, set[int]] = defaultdict(set)
    for reference in references:
        kind, _sep, key = reference.partition(":")
        if kind in ("statement", "payout") and key.isdigit():
            wanted[kind].add(int(key))
    numbers: dict[str, str] = {}
    for pk, number in Statement.objects.filter(pk__in=wanted["statement"]).values_list(
        "pk", "number"
    ):
        numbers[f"statement:{pk}"] = number or ""
    for pk, e2e in Payout.objects.filter(pk__in=wanted["payout"]).values_list(
        "pk", "end_to_end_id"
    ):
        numbers[f"payout:{pk}"] = e2e
    return numbers


def consultation_vat_cases(references: Iterable[str]) -> dict[str, str]:
    """The client's VAT case of each `consultation:<id>` reference."""
    ids = [r.partition(":")[2] for r in references if r.startswith("consultation:")]
    return {
        f"consultation:{pk}": case
        for pk, case in Consultation.objects.filter(pk__in=ids).values_list("pk", "vat_case")
    }
