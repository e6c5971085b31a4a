"""Reads for the console's partner pages: the work queues (applications, listing
revisions, adjustments awaiting a second approver) and the partner file."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import Count, QuerySet, Sum

from sprechzeit.accounts.models import Listing, Partner
from sprechzeit.consultations.models import Consultation
from sprechzeit.core.money import Money
from sprechzeit.ledger.models import AccountPurpose
from sprechzeit.ledger.selectors import account_balance, account_find
from sprechzeit.partners.models import (
    AdjustmentRequest,
    ListingRevision,
    PartnerApplication,
    PayoutRunSent,
)
from sprechzeit.payouts.models import Payout, PayoutRun
from sprechzeit.statements.models import Adjustment, PartnerTaxProfile, Statement
from sprechzeit.statements.selectors import current_periods, partner_earnings, tax_profile_gaps
from sprechzeit.wallets.services.accounts import OWNER_PARTNER


def applications_open() -> QuerySet[PartnerApplication]:
    """Applications waiting for a decision, oldest first."""
    return (
        PartnerApplication.objects.filter(status=PartnerApplication.Status.NEW)
        .select_related("platform")
        .order_by("submitted_at", "pk")
    )


def applications_recent(*, limit: int = 20) -> QuerySet[PartnerApplication]:
    return (
        PartnerApplication.objects.exclude(status=PartnerApplication.Status.NEW)
        .select_related("platform", "decided_by")
        .order_by("-decided_at", "-pk")[:limit]
    )


def revisions_pending() -> QuerySet[ListingRevision]:
    return (
        ListingRevision.objects.filter(status=ListingRevision.Status.PENDING)
        .select_related("listing__platform", "listing__partner__user")
        .order_by("submitted_at", "pk")
    )


def revision_pending(*, listing: Listing) -> ListingRevision | None:
    """The listing's revision waiting for review, if any (the portal says so)."""
    return ListingRevision.objects.filter(
        listing=listing, status=ListingRevision.Status.PENDING
    ).first()


def adjustments_pending() -> QuerySet[AdjustmentRequest]:
    return (
        AdjustmentRequest.objects.filter(status=AdjustmentRequest.Status.PENDING)
        .select_related("partner__user", "platform", "requested_by")
        .order_by("requested_at")
    )


def partners_search(*, query: str = "") -> QuerySet[Partner]:
    partners = Partner.objects.select_related("user").order_by("user__last_name", "pk")
    query = query.strip()[:100]
    if query:
        partners = partners.filter(user__email__icontains=query) | partners.filter(
            user__last_name__icontains=query
        )
    return partners


@dataclass(frozen=True, slots=True)
class PartnerFile:
    partner: Partner
    payable: Money
    earned_total: Money
    consultations_total: int
    current: list[tuple[str, Money, int]]  # period label, share so far, consultations
    profile: PartnerTaxProfile | None
    gaps: list[str]
    statements: list[Statement]
    payouts: list[Payout]
    adjustments: list[AdjustmentRequest]
    booked_adjustments: list[Adjustment]
    applications: list[PartnerApplication]


def partner_file(*, partner: Partner, today: date) -> PartnerFile:
    """Everything the partner file shows: money from the ledger (what the operator owes
    now) and the records (consultations, statements, payouts, adjustments)."""
    account = account_find(
        purpose=AccountPurpose.PARTNER_PAYABLE,
        currency="EUR",
        owner_type=OWNER_PARTNER,
        owner_id=str(partner.pk),
    )
    payable = account_balance(account=account).posted if account is not None else Money(0)
    totals = Consultation.objects.filter(
        partner=partner, status=Consultation.Status.SETTLED
    ).aggregate(count=Count("pk"), share=Sum("partner_share_minor"))
    current = []
    for period in current_periods(partner=partner, today=today):
        earned = partner_earnings(partner=partner, period=period)
        current.append((period.label, earned.share, earned.consultations))
    profile = PartnerTaxProfile.objects.filter(partner=partner).first()
    return PartnerFile(
        partner=partner,
        payable=payable,
        earned_total=Money(int(totals["share"] or 0)),
        consultations_total=int(totals["count"] or 0),
        current=current,
        profile=profile,
        gaps=tax_profile_gaps(profile),
        statements=list(
            Statement.objects.filter(partner=partner)
            .exclude(status=Statement.Status.DRAFT)
            .select_related("legal_entity")
            .order_by("-period_start", "-pk")[:24]
        ),
        payouts=list(Payout.objects.filter(partner=partner).order_by("-created_at")[:24]),
        adjustments=list(
            AdjustmentRequest.objects.filter(partner=partner)
            .select_related("platform", "requested_by", "decided_by")
            .order_by("-requested_at")[:50]
        ),
        booked_adjustments=list(
            Adjustment.objects.filter(partner=partner).order_by("-created_at")[:50]
        ),
        applications=list(
            PartnerApplication.objects.filter(partner=partner).select_related("platform")
        ),
    )


def payout_runs_recent(*, limit: int = 30) -> list[tuple[PayoutRun, PayoutRunSent | None]]:
    runs = list(PayoutRun.objects.select_related("legal_entity").order_by("-created_at")[:limit])
    sent = {
        s.run_id: s for s in PayoutRunSent.objects.filter(run__in=runs).select_related("sent_by")
    }
    return [(run, sent.get(run.pk)) for run in runs]
