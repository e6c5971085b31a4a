"""What issuing a credit note checks beyond the partner's data being complete (GoBD and
§ 14 UStG, #15 point 6); reads only, `services.issue` holds the notes that fail them.

- The tax status of the period: a note states the VAT status, VAT ID, tax number, name
  and country that applied at the end of its period (`TaxProfileChange` history), not
  whatever the partner declared since. A period in which the status changed is billed
  with the status at its end (docs/gobd.md; for review by the tax adviser).
- Self-billing consent per issuing entity: a partner agrees to self-billing with each
  operator separately (`legal` consent to a platform's agreement counts for the
  platform's entity); without it there is no credit note of that entity.
- The deadline: an invoice for a service to a business is issued within six months
  after the service (§ 14 Abs. 2 Satz 1 Nr. 2 UStG); later only with an explicit,
  recorded override (`statements close --late-override REASON`).
"""

from __future__ import annotations

import copy
from collections.abc import Collection
from datetime import date, datetime, time, timedelta
from typing import Final
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from sprechzeit.accounts.models import Partner
from sprechzeit.legal.selectors import self_billing_entities
from sprechzeit.platforms.models import LegalEntity
from sprechzeit.statements.models import PartnerTaxProfile, Statement, TaxProfileChange
from sprechzeit.statements.periods import today

ISSUE_DEADLINE_MONTHS: Final = 6


def issue_deadline(period_end: date) -> date:
    """The last day a note of a period ending `period_end` may be issued without an
    override: the end of the sixth month after the period's last month."""
    month = period_end.month + ISSUE_DEADLINE_MONTHS
    year = period_end.year + (month - 1) // 12
    month = (month - 1) % 12 + 1
    return date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)


def deadline_gap(*, period_end: date, late_override: str) -> str:
    """Why the note may not be issued today for lateness ("" if it may)."""
    deadline = issue_deadline(period_end)
    if today() <= deadline or late_override.strip():
        return ""
    return _(
        "Die Frist zur Ausstellung (sechs Monate, § 14 Abs. 2 UStG) ist am %(date)s "
        "abgelaufen; ausstellen nur mit ausdrücklicher Freigabe "
        "(statements close --late-override GRUND)."
    ) % {"date": date_format(deadline, "SHORT_DATE_FORMAT")}


def _period_end_moment(period_end: date) -> datetime:
    return datetime.combine(period_end + timedelta(days=1), time.min, ZoneInfo(settings.TIME_ZONE))


def profiles_for_periods(
    statements: Collection[Statement], profiles: dict[int, PartnerTaxProfile]
) -> dict[int, PartnerTaxProfile]:
    """Per statement id: the partner's profile with the tax fields of the history row in
    force at the end of the statement's period (the first row when the data were entered
    only later; the profile as it is when there is no history). Address, bank data and
    language stay current."""
    partner_ids = {statement.partner_id for statement in statements}
    history: dict[int, list[TaxProfileChange]] = {}
    for change in TaxProfileChange.objects.filter(partner_id__in=partner_ids).order_by(
        "valid_from", "pk"
    ):
        history.setdefault(change.partner_id, []).append(change)
    result: dict[int, PartnerTaxProfile] = {}
    for statement in statements:
        profile = profiles.get(statement.partner_id)
        if profile is None:
            continue
        rows = history.get(statement.partner_id, [])
        if not rows:
            result[statement.pk] = profile
            continue
        moment = _period_end_moment(statement.period_end)
        applying = [row for row in rows if row.valid_from < moment] or rows[:1]
        row = applying[-1]
        effective = copy.copy(profile)
        for name in ("vat_status", "country", "vat_id", "tax_number", "legal_name"):
            setattr(effective, name, getattr(row, name))
        result[statement.pk] = effective
    return result


def consent_missing(legal_entity: LegalEntity) -> str:
    return _(
        "Die Zustimmung zum Gutschriftsverfahren für %(entity)s fehlt (im Partnerbereich "
        "unter Steuerdaten erteilen)."
    ) % {"entity": legal_entity.name}


def consented_pairs(statements: Collection[Statement]) -> set[tuple[int, int]]:
    """(partner id, legal entity id) of every self-billing consent these partners gave."""
    users = {statement.partner.user_id: statement.partner_id for statement in statements}
    return {
        (users[user_id], entity_id)
        for user_id, entity_id in self_billing_entities(user_ids=list(users))
    }


def partner_entities(*, partner: Partner) -> list[LegalEntity]:
    """The issuing entities of the platforms the partner has listings on."""
    return list(
        LegalEntity.objects.filter(platforms__listings__partner=partner).distinct().order_by("name")
    )


def consent_gaps(*, partner: Partner) -> list[str]:
    """One line per issuing entity of the partner's platforms without their consent."""
    consented = {
        entity_id for _user, entity_id in self_billing_entities(user_ids=[partner.user_id])
    }
    return [
        consent_missing(entity)
        for entity in partner_entities(partner=partner)
        if entity.pk not in consented
    ]
