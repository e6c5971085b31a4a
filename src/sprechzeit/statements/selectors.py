"""Reads for statements (`Period` and `period_parse` live in `periods`): the earnings of a period (the source of a close), missing
partner data, a partner's documents."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import Count, Min, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from sprechzeit.accounts.models import Partner
from sprechzeit.consultations.models import Consultation
from sprechzeit.core.money import Money, money_text
from sprechzeit.legal.models import Consent
from sprechzeit.platforms.models import LegalEntity, StatementPeriod
from sprechzeit.statements.documents.cii import cii_xml
from sprechzeit.statements.models import (
    Adjustment,
    CloseRun,
    Objection,
    PartnerTaxProfile,
    Statement,
    TaxProfileChange,
)
from sprechzeit.statements.payability import (
    PayoutDecision,
    PayoutOutlook,
    payout_outlook,
    payout_terms,
)
from sprechzeit.statements.periods import Period, period_containing
from sprechzeit.statements.vat import REVERSE_CHARGE_STATUSES, VatStatus


@dataclass(frozen=True, slots=True)
class Earnings:
    """What one partner earned on one platform in a period (settled consultations)."""

    partner_id: int
    platform_id: int
    legal_entity_id: int
    consultations: int
    billed_seconds: int
    gross_minor: int
    share_minor: int


def first_settled_day(*, cadence: str) -> date | None:
    """The day of the earliest settled consultation of the entities on `cadence` (in
    the operator's time zone), or None: where a catch-up of missed periods starts."""
    first = Consultation.objects.filter(
        status=Consultation.Status.SETTLED, platform__legal_entity__statement_period=cadence
    ).aggregate(first=Min("settled_at"))["first"]
    return None if first is None else timezone.localtime(first).date()


def close_covers(*, period: Period) -> bool:
    """The period is closed (a finished run of exactly it), or the entities on its
    cadence already have a statement overlapping it (closed under another cadence
    before a switch)."""
    if CloseRun.objects.filter(
        status=CloseRun.Status.DONE, period_start=period.start, period_end=period.end
    ).exists():
        return True
    return Statement.objects.filter(
        legal_entity__statement_period=period.cadence,
        period_start__lte=period.end,
        period_end__gte=period.start,
    ).exists()


def settled_earnings(*, period: Period, legal_entity_ids: Collection[int]) -> list[Earnings]:
    """Settled consultations of the period per partner and platform of the given issuing
    entities, summed by the database. A consultation belongs to the period its settlement
    was booked in (the partner payable is credited then), so a close never misses or
    repeats one."""
    start, end = period.bounds()
    rows = (
        Consultation.objects.filter(
            status=Consultation.Status.SETTLED,
            settled_at__gte=start,
            settled_at__lt=end,
            platform__legal_entity_id__in=list(legal_entity_ids),
        )
        .values("partner_id", "platform_id", "platform__legal_entity_id")
        .annotate(
            count=Count("pk"),
            seconds=Sum("billed_seconds"),
            gross=Sum("amount_minor"),
            share=Sum("partner_share_minor"),
        )
        .order_by("partner_id", "platform_id")
    )
    return [
        Earnings(
            partner_id=row["partner_id"],
            platform_id=row["platform_id"],
            legal_entity_id=row["platform__legal_entity_id"],
            consultations=row["count"],
            billed_seconds=int(row["seconds"] or 0),
            gross_minor=int(row["gross"] or 0),
            share_minor=int(row["share"] or 0),
        )
        for row in rows
    ]


def open_adjustments(*, period: Period, legal_entity_ids: Collection[int]) -> QuerySet[Adjustment]:
    """Adjustments on the given entities' platforms entered up to the period's end that
    no statement lists yet."""
    _start, end = period.bounds()
    return Adjustment.objects.filter(
        statement__isnull=True,
        created_at__lt=end,
        platform__legal_entity_id__in=list(legal_entity_ids),
    ).select_related("platform")


def entities_with_cadence(*, cadence: str) -> list[LegalEntity]:
    return list(LegalEntity.objects.filter(statement_period=cadence).order_by("pk"))


def overlapping_statement(*, period: Period, legal_entity_ids: Collection[int]) -> Statement | None:
    """A statement of these entities whose period overlaps `period` without being it:
    left by a cadence switched mid-period (closing would bill consultations twice)."""
    return (
        Statement.objects.filter(
            legal_entity_id__in=list(legal_entity_ids),
            period_start__lte=period.end,
            period_end__gte=period.start,
        )
        .exclude(period_start=period.start, period_end=period.end)
        .select_related("legal_entity")
        .order_by("period_start")
        .first()
    )


def current_periods(*, partner: Partner, today: date) -> list[Period]:
    """The running period of each cadence the partner's platforms' entities use (one
    for most partners), earliest start first."""
    cadences = set(
        LegalEntity.objects.filter(platforms__listings__partner=partner).values_list(
            "statement_period", flat=True
        )
    ) or {StatementPeriod.MONTHLY}
    periods = {period_containing(cadence=cadence, day=today) for cadence in cadences}
    return sorted(periods, key=lambda period: (period.start, period.end))


def tax_profile_gaps(profile: PartnerTaxProfile | None) -> list[str]:
    """Why a credit note for this partner cannot be issued for want of data (empty: it
    can; the consent per issuing entity is checked by `issuing_rules`)."""
    if profile is None:
        return [_("Steuer- und Bankdaten fehlen.")]
    gaps: list[str] = []
    if not (profile.legal_name and profile.street and profile.postal_code and profile.city):
        gaps.append(_("Name oder Anschrift fehlt."))
    if not (profile.tax_number or profile.vat_id):
        gaps.append(_("Steuernummer oder USt-IdNr. fehlt."))
    if profile.vat_status == VatStatus.EU_REVERSE_CHARGE and not profile.vat_id:
        gaps.append(_("Für das Reverse-Charge-Verfahren fehlt die USt-IdNr."))
    if not profile.iban or not profile.account_holder:
        gaps.append(_("IBAN oder Kontoinhaber fehlt."))
    return gaps


def entity_gaps(*, legal_entity: LegalEntity, profile: PartnerTaxProfile) -> list[str]:
    """Why the issuing entity cannot issue this partner's credit note (empty: it can).
    Reverse charge needs the entity's own VAT ID on the document (§ 14a Abs. 1 UStG,
    EN 16931 BR-AE-02)."""
    if profile.vat_status in REVERSE_CHARGE_STATUSES and not legal_entity.vat_id.strip():
        return [
            _(
                "Für das Reverse-Charge-Verfahren fehlt die USt-IdNr. des Betreibers "
                "(Rechtsträger %(name)s)."
            )
            % {"name": legal_entity.name}
        ]
    return []


def partner_tax_profile(*, partner: Partner) -> PartnerTaxProfile | None:
    return PartnerTaxProfile.objects.filter(partner=partner).first()


def partner_statements(*, partner: Partner) -> QuerySet[Statement]:
    """The partner's issued and cancelled documents and held ones (with their reason)."""
    return (
        Statement.objects.filter(partner=partner)
        .exclude(status=Statement.Status.DRAFT)
        .order_by("-period_start", "-pk")
    )


def held_statements() -> QuerySet[Statement]:
    return Statement.objects.filter(status=Statement.Status.HELD).select_related("partner__user")


def partner_of_user(user: object) -> Partner | None:
    partner = getattr(user, "partner", None) if user is not None else None
    return partner if isinstance(partner, Partner) else None


@dataclass(frozen=True, slots=True)
class PartnerEarnings:
    consultations: int
    share: Money


def partner_earnings(*, partner: Partner, period: Period) -> PartnerEarnings:
    """What the partner earned so far in `period` (settled consultations, net share)."""
    start, end = period.bounds()
    totals = Consultation.objects.filter(
        partner=partner,
        status=Consultation.Status.SETTLED,
        settled_at__gte=start,
        settled_at__lt=end,
    ).aggregate(count=Count("pk"), share=Sum("partner_share_minor"))
    return PartnerEarnings(
        consultations=int(totals["count"] or 0), share=Money(int(totals["share"] or 0))
    )


def statement_payout_outlook(*, statement: Statement) -> PayoutOutlook | None:
    """What the portal says about a document's payout. An issued credit note: the
    outlook frozen on it (as printed). A held one: the same rule applied now to its
    net share so far (the VAT is known once the data is complete). Else None."""
    if statement.kind != Statement.Kind.CREDIT_NOTE:
        return None
    if statement.status == Statement.Status.HELD:
        sections = statement.sections.aggregate(share=Sum("share_minor"))
        adjustments = statement.adjustments.aggregate(amount=Sum("amount_minor"))
        inherited = sum(
            int(line["amount_minor"])
            for line in (statement.data or {}).get("inherited_adjustments", [])
        )
        amount = int(sections["share"] or 0) + int(adjustments["amount"] or 0) + inherited
        terms = payout_terms(
            legal_entity_id=statement.legal_entity_id, partner_ids=[statement.partner_id]
        )
        return payout_outlook(
            profile=partner_tax_profile(partner=statement.partner),
            carried_forward_minor=terms.carried_forward_minor.get(statement.partner_id, 0),
            amount_minor=amount,
            threshold_minor=terms.threshold_minor,
            held_reason=statement.held_reason or _("Angaben unvollständig."),
        )
    frozen = (statement.data or {}).get("payout")
    if statement.status != Statement.Status.ISSUED or not frozen:
        return None
    return PayoutOutlook(
        carried_forward_minor=int(frozen["carried_forward_minor"]),
        amount_minor=int(frozen["amount_minor"]),
        threshold_minor=int(frozen["threshold_minor"]),
        decision=PayoutDecision(str(frozen["code"]), str(frozen.get("detail", ""))),
    )


def tax_status_at(*, partner: Partner, when: datetime) -> TaxProfileChange | None:
    """The partner's tax status and bank data as they applied at `when` (history)."""
    return (
        TaxProfileChange.objects.filter(partner=partner, valid_from__lte=when)
        .order_by("-valid_from", "-pk")
        .first()
    )


def self_billing_consents(*, partner: Partner) -> list[tuple[str, Consent]]:
    """(issuing entity name, first consent) per entity the partner agreed with."""
    first: dict[int, Consent] = {}
    for consent in (
        Consent.objects.filter(user_id=partner.user_id, purpose=Consent.Purpose.SELF_BILLING)
        .select_related("document__platform__legal_entity")
        .order_by("at", "pk")
    ):
        first.setdefault(consent.document.platform.legal_entity_id, consent)
    return sorted(
        ((c.document.platform.legal_entity.name, c) for c in first.values()), key=lambda p: p[0]
    )


def objection_of(*, statement: Statement) -> Objection | None:
    return Objection.objects.filter(statement=statement).select_related("cancellation").first()


def statement_xrechnung(*, statement: Statement) -> bytes:
    """The XRechnung flavour as archived at issue; for a document issued before it was
    archived, made from its frozen data (the same bytes the issue would have stored)."""
    if statement.xrechnung is not None:
        return bytes(statement.xrechnung)
    return cii_xml(statement.data, flavour="xrechnung")


# § 19 Abs. 1 UStG (from 2025): previous year at most 25.000 €, current year at most
# 100.000 € (the latter ends the rule at once).
SMALL_BUSINESS_PREVIOUS_YEAR_MINOR = 2_500_000
SMALL_BUSINESS_CURRENT_YEAR_MINOR = 10_000_000


def _net_revenue(partner: Partner, year: int) -> int:
    """The partner's net revenue on the credit notes of `year` (by period; a cancelled
    note and its cancellation net out)."""
    total = Statement.objects.filter(
        partner=partner,
        status__in=[Statement.Status.ISSUED, Statement.Status.CANCELLED],
        period_start__year=year,
    ).aggregate(total=Sum("net_minor"))["total"]
    return int(total or 0)


def small_business_warning(*, partner: Partner, year: int) -> str:
    """For a § 19 partner whose revenue on the platforms alone passes the limits: what
    to do ("" otherwise). Other revenue of the partner counts too, so this is the least."""
    profile = partner_tax_profile(partner=partner)
    if profile is None or profile.vat_status != VatStatus.SMALL_BUSINESS:
        return ""
    current, previous = _net_revenue(partner, year), _net_revenue(partner, year - 1)
    if current > SMALL_BUSINESS_CURRENT_YEAR_MINOR:
        return _(
            "Ihre Umsätze über die Plattformen liegen %(year)s bei %(amount)s, über "
            "100.000 €: die Kleinunternehmerregelung (§ 19 UStG) gilt nicht mehr. Bitte "
            "den Umsatzsteuerstatus ändern."
        ) % {"year": year, "amount": money_text(Money(current, "EUR"))}
    if previous > SMALL_BUSINESS_PREVIOUS_YEAR_MINOR:
        return _(
            "Ihre Umsätze über die Plattformen lagen %(year)s bei %(amount)s, über "
            "25.000 €: %(next)s gilt die Kleinunternehmerregelung (§ 19 UStG) nicht. Bitte "
            "den Umsatzsteuerstatus ändern."
        ) % {"year": year - 1, "amount": money_text(Money(previous, "EUR")), "next": year}
    if current > SMALL_BUSINESS_PREVIOUS_YEAR_MINOR:
        return _(
            "Ihre Umsätze über die Plattformen liegen %(year)s bereits bei %(amount)s, über "
            "25.000 €: ab %(next)s gilt die Kleinunternehmerregelung (§ 19 UStG) nicht mehr."
        ) % {"year": year, "amount": money_text(Money(current, "EUR")), "next": year + 1}
    return ""
