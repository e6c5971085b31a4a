"""Reads for payouts: what is owed per partner from issued statements, a partner's
payouts, runs."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass

from django.db.models import QuerySet, Sum

from sprechzeit.accounts.models import Partner
from sprechzeit.core.money import Money
from sprechzeit.payouts.models import Payout, PayoutPolicy
from sprechzeit.platforms.models import LegalEntity
from sprechzeit.statements.models import Statement
from sprechzeit.statements.payability import PayoutTerms

PAID_OR_PAYING = (Payout.Status.IN_TRANSIT, Payout.Status.CONFIRMED)


def policy_for(*, legal_entity: LegalEntity) -> PayoutPolicy:
    policy = PayoutPolicy.objects.filter(legal_entity=legal_entity).first()
    return policy or PayoutPolicy(legal_entity=legal_entity)


def unpaid_statements(*, legal_entity: LegalEntity) -> dict[int, list[Statement]]:
    """Per partner id: issued documents of this entity (credit notes, cancellations and
    cancelled originals, which net out) that no open or confirmed payout covers."""
    rows = (
        Statement.objects.filter(
            legal_entity=legal_entity,
            status__in=[Statement.Status.ISSUED, Statement.Status.CANCELLED],
        )
        .exclude(payouts__status__in=PAID_OR_PAYING)
        .order_by("partner_id", "number_year", "number_seq")
    )
    found: dict[int, list[Statement]] = defaultdict(list)
    for statement in rows:
        found[statement.partner_id].append(statement)
    return dict(found)


def payout_terms(legal_entity_id: int, partner_ids: Collection[int]) -> PayoutTerms:
    """The entity's payout threshold and, per partner, what their issued documents of
    the entity still owe (not covered by an open or confirmed payout): the figures a new
    credit note states (`statements.payability`)."""
    entity = LegalEntity(pk=legal_entity_id)
    owed = (
        Statement.objects.filter(
            legal_entity_id=legal_entity_id,
            partner_id__in=list(partner_ids),
            status__in=[Statement.Status.ISSUED, Statement.Status.CANCELLED],
        )
        .exclude(payouts__status__in=PAID_OR_PAYING)
        .values("partner_id")
        .annotate(owed=Sum("gross_minor"))
        .order_by()
    )
    return PayoutTerms(
        threshold_minor=policy_for(legal_entity=entity).threshold_minor,
        carried_forward_minor={row["partner_id"]: int(row["owed"] or 0) for row in owed},
    )


def partner_payouts(*, partner: Partner) -> QuerySet[Payout]:
    return Payout.objects.filter(partner=partner).order_by("-created_at")


@dataclass(frozen=True, slots=True)
class CarriedForward:
    legal_entity: LegalEntity
    amount: Money
    threshold: Money


def partner_carried_forward(*, partner: Partner) -> list[CarriedForward]:
    """Per issuing entity: what the partner's issued documents still owe them and the
    threshold a payout needs (below it, the amount waits for the next run)."""
    owed: dict[int, int] = defaultdict(int)
    entities: dict[int, LegalEntity] = {}
    rows = (
        Statement.objects.filter(
            partner=partner, status__in=[Statement.Status.ISSUED, Statement.Status.CANCELLED]
        )
        .exclude(payouts__status__in=PAID_OR_PAYING)
        .select_related("legal_entity")
    )
    for statement in rows:
        owed[statement.legal_entity_id] += statement.gross_minor
        entities[statement.legal_entity_id] = statement.legal_entity
    return [
        CarriedForward(
            legal_entity=entities[entity_id],
            amount=Money(amount),
            threshold=Money(policy_for(legal_entity=entities[entity_id]).threshold_minor),
        )
        for entity_id, amount in sorted(owed.items())
        if amount
    ]
