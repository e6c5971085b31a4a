"""Statement writes: partner tax data, adjustments, the period close, issuing with
gap-free numbers, cancellation, the PDF.

Transactions: `statement_issue` is one transaction per document (lock the statement
row, then the number counter; number, data, XML, VAT booking commit together), so a run
that dies midway and is started again issues each document exactly once.
"""

from __future__ import annotations

import hashlib
import uuid
from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any, Final, cast

from django.db import IntegrityError, connection, transaction
from django.db.models import Field
from django.utils import timezone
from django.utils.translation import gettext as _
from schwifty import IBAN
from schwifty.exceptions import SchwiftyException
from stdnum.de import stnr
from stdnum.eu import vat as eu_vat
from stdnum.exceptions import ValidationError as StdnumError

from sprechzeit.accounts.models import Partner
from sprechzeit.core import clock
from sprechzeit.core.money import Money
from sprechzeit.ledger import services as ledger
from sprechzeit.ledger.models import Account, AccountPurpose
from sprechzeit.ledger.services import TransferSpec
from sprechzeit.platforms.models import LegalEntity, Platform
from sprechzeit.statements import errors, selectors
from sprechzeit.statements.documents.cii import cii_xml
from sprechzeit.statements.documents.validation import xsd_errors
from sprechzeit.statements.models import (
    Adjustment,
    CloseRun,
    NumberCounter,
    PartnerTaxProfile,
    Statement,
    StatementSection,
)
from sprechzeit.statements.payability import payout_outlook, payout_terms
from sprechzeit.statements.periods import Period, period_containing, period_parse, period_text
from sprechzeit.statements.vat import (
    SELF_BILLING_NOTE,
    AdjustmentLine,
    DocumentTotals,
    PlatformLine,
    VatStatus,
    document_totals,
)
from sprechzeit.wallets import services as wallets

NAMESPACE: Final = uuid.UUID("0b6f3c5e-51a3-4d0e-a7f4-7e9d2c1b8a44")
OWNER_ENTITY: Final = "platforms.legalentity"
NUMBER_PREFIX: Final = "GS"

type Progress = Callable[[int, int], None]


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def entity_account(*, legal_entity: LegalEntity, purpose: AccountPurpose) -> Account:
    """An issuing entity's own account (input VAT, payouts in transit, bank)."""
    return ledger.account_get_or_create(
        purpose=purpose,
        owner_type=OWNER_ENTITY,
        owner_id=str(legal_entity.pk),
        name=f"{legal_entity.name} {purpose}",
    )


# --- partner tax and bank data -------------------------------------------------------------


def tax_fields_check(fields: dict[str, Any]) -> dict[str, str]:
    """Validate and normalise `fields` in place; returns {field: message} for what is
    wrong (the portal form and the admin show these at the fields)."""
    problems: dict[str, str] = {}
    country = str(fields.get("country") or "DE").upper()
    fields["country"] = country
    if fields.get("tax_number"):
        if country == "DE":
            try:
                fields["tax_number"] = stnr.validate(fields["tax_number"])
            except StdnumError:
                problems["tax_number"] = _("Die Steuernummer ist ungültig.")
        else:
            fields["tax_number"] = str(fields["tax_number"]).strip()
    if fields.get("vat_id"):
        try:
            fields["vat_id"] = eu_vat.compact(eu_vat.validate(fields["vat_id"]))
        except StdnumError:
            problems["vat_id"] = _("Die USt-IdNr. ist ungültig.")
    if fields.get("iban"):
        try:
            iban = IBAN(fields["iban"])
            fields["iban"] = iban.compact
            if not fields.get("bic") and iban.bic is not None:
                fields["bic"] = str(iban.bic)
        except SchwiftyException:
            problems["iban"] = _("Die IBAN ist ungültig.")
    status = fields.get("vat_status")
    if status not in VatStatus.values:
        problems["vat_status"] = _("Bitte den Umsatzsteuerstatus wählen.")
    if status == VatStatus.EU_REVERSE_CHARGE and country == "DE":
        problems["country"] = _("Reverse Charge gilt nur für Unternehmer außerhalb Deutschlands.")
    return problems


@transaction.atomic
def tax_profile_save(*, partner: Partner, **fields: Any) -> PartnerTaxProfile:
    """Create or update the partner's tax and bank data. Validates tax number
    (stdnum.de.stnr), VAT ID (stdnum.eu.vat) and IBAN (schwifty); raises
    `TaxProfileInvalid` with `fields` = {field: message}. A valid IBAN counts as
    verified (a bank return clears that again, see payouts)."""
    problems = tax_fields_check(fields)
    if problems:
        raise errors.TaxProfileInvalid(**problems)
    profile = PartnerTaxProfile.objects.select_for_update().filter(partner=partner).first()
    previous_iban = profile.iban if profile else ""
    if profile is None:
        profile = PartnerTaxProfile(partner=partner)
    for name, value in fields.items():
        setattr(profile, name, value)
    now = clock.now()
    if profile.iban and (profile.iban != previous_iban or profile.iban_verified_at is None):
        profile.iban_verified_at = now
        profile.payout_blocked_reason = ""
    profile.updated_at = now
    profile.full_clean(exclude=["partner"])
    profile.save()
    return profile


def self_billing_accept(*, partner: Partner, version: str) -> PartnerTaxProfile:
    """Record that the partner agreed to self-billing (date and agreement version)."""
    profile = PartnerTaxProfile.objects.get(partner=partner)
    profile.self_billing_accepted_at = clock.now()
    profile.self_billing_version = version
    profile.save(update_fields=["self_billing_accepted_at", "self_billing_version"])
    return profile


# --- adjustments ---------------------------------------------------------------------------


@transaction.atomic
def adjustment_create(
    *,
    partner: Partner,
    platform: Platform,
    kind: Adjustment.Kind,
    amount: Money,
    description: str,
) -> Adjustment:
    """Book a bonus (> 0: platform promotion expense → partner payable) or a reversal
    (< 0: partner payable → platform revenue) now; the next statement lists it."""
    if not amount:
        raise errors.StatementError(_("Eine Anpassung braucht einen Betrag."))
    transfer_id = uuid.uuid4()
    payable = wallets.partner_payable_account(partner=partner, currency=amount.currency)
    if amount.minor > 0:
        expense = wallets.platform_account(
            platform=platform, purpose=AccountPurpose.PROMOTION_EXPENSE
        )
        debit, credit = expense, payable
    else:
        revenue = wallets.platform_account(
            platform=platform, purpose=AccountPurpose.PLATFORM_REVENUE
        )
        debit, credit = payable, revenue
    ledger.transfer_post(
        id=transfer_id,
        debit_account=debit,
        credit_account=credit,
        amount=Money(abs(amount.minor), amount.currency),
        purpose=f"partner_adjustment_{kind}",
        reference=f"partner:{partner.pk}",
    )
    return Adjustment.objects.create(
        partner=partner,
        platform=platform,
        kind=kind,
        description=description,
        amount_minor=amount.minor,
        currency=amount.currency,
        transfer_id=transfer_id,
        created_at=clock.now(),
    )


# --- period close ------------------------------------------------------------------------------


def _today() -> date:
    return timezone.localdate(clock.now())


def _drafts_create(*, period: Period, run: CloseRun, legal_entity_ids: list[int]) -> None:
    """One draft per partner and issuing entity with earnings or open adjustments in the
    period; existing ones (a rerun, a racing run) are left alone. Chunked transactions."""
    groups: dict[tuple[int, int], list[selectors.Earnings]] = defaultdict(list)
    for row in selectors.settled_earnings(period=period, legal_entity_ids=legal_entity_ids):
        groups[(row.partner_id, row.legal_entity_id)].append(row)
    adjustments: dict[tuple[int, int], list[Adjustment]] = defaultdict(list)
    for adjustment in selectors.open_adjustments(period=period, legal_entity_ids=legal_entity_ids):
        key = (adjustment.partner_id, adjustment.platform.legal_entity_id)
        adjustments[key].append(adjustment)
        groups.setdefault(key, [])
    keys = sorted(groups)
    chunk = 1000
    for offset in range(0, len(keys), chunk):
        part = keys[offset : offset + chunk]
        for _attempt in range(3):
            try:
                _drafts_chunk(period, run, part, groups, adjustments)
                break
            except IntegrityError:
                # Another run created some of them in between; look again.
                continue


def _drafts_chunk(
    period: Period,
    run: CloseRun,
    keys: list[tuple[int, int]],
    groups: dict[tuple[int, int], list[selectors.Earnings]],
    adjustments: dict[tuple[int, int], list[Adjustment]],
) -> None:
    with transaction.atomic():
        partner_ids = {partner_id for partner_id, _entity in keys}
        existing = set(
            Statement.objects.filter(
                period_start=period.start,
                kind=Statement.Kind.CREDIT_NOTE,
                partner_id__in=partner_ids,
            )
            .exclude(status=Statement.Status.CANCELLED)
            .values_list("partner_id", "legal_entity_id")
        )
        missing = [key for key in keys if key not in existing]
        if not missing:
            return
        now = clock.now()
        Statement.objects.bulk_create(
            [
                Statement(
                    partner_id=partner_id,
                    legal_entity_id=entity_id,
                    run=run,
                    period_start=period.start,
                    period_end=period.end,
                    created_at=now,
                )
                for partner_id, entity_id in missing
            ]
        )
        ids = {
            (row[0], row[1]): row[2]
            for row in Statement.objects.filter(
                period_start=period.start,
                kind=Statement.Kind.CREDIT_NOTE,
                status=Statement.Status.DRAFT,
                partner_id__in={partner_id for partner_id, _entity in missing},
            ).values_list("partner_id", "legal_entity_id", "pk")
        }
        sections = [
            StatementSection(
                statement_id=ids[key],
                platform_id=row.platform_id,
                consultations=row.consultations,
                billed_seconds=row.billed_seconds,
                gross_minor=row.gross_minor,
                share_minor=row.share_minor,
            )
            for key in missing
            for row in groups[key]
        ]
        StatementSection.objects.bulk_create(sections)
        for key in missing:
            pks = [adjustment.pk for adjustment in adjustments.get(key, [])]
            if pks:
                Adjustment.objects.filter(pk__in=pks, statement__isnull=True).update(
                    statement_id=ids[key]
                )


def _entities_for(period: Period) -> list[int]:
    """The issuing entities that close `period`: those whose cadence is the period's.
    Raises `PeriodCadenceMismatch` when there are entities but none of them has it, `PeriodOverlaps` when one of them
    billed an overlapping period before switching its cadence."""
    entities = selectors.entities_with_cadence(cadence=period.cadence)
    if not entities and LegalEntity.objects.exists():
        configured = ", ".join(
            f"{entity.name}: {entity.get_statement_period_display()}"
            for entity in LegalEntity.objects.order_by("name")
        )
        raise errors.PeriodCadenceMismatch(
            _(
                "Kein Rechtsträger rechnet %(cadence)s ab; %(period)s passt zu keinem "
                "Abrechnungszeitraum (eingestellt: %(configured)s)."
            )
            % {
                "cadence": period.cadence.label,
                "period": period.label,
                "configured": configured or "–",
            },
            period=period.label,
            cadence=str(period.cadence),
        )
    ids = [int(entity.pk) for entity in entities]
    overlapping = selectors.overlapping_statement(period=period, legal_entity_ids=ids)
    if overlapping is not None:
        raise errors.PeriodOverlaps(
            _(
                "%(period)s überschneidet sich bei %(entity)s mit dem bereits abgerechneten "
                "Zeitraum %(other)s. Den Abrechnungszeitraum nur an einer Zeitraumgrenze "
                "umstellen oder den alten Rhythmus bis dahin weiter abschließen."
            )
            % {
                "period": period.label,
                "entity": overlapping.legal_entity.name,
                "other": overlapping.period_label,
            },
            period=period.label,
            legal_entity=overlapping.legal_entity_id,
            other=overlapping.period_label,
        )
    return ids


def statements_close(*, period: str, progress: Progress | None = None) -> CloseRun:
    """Close a period: a credit note per partner and issuing entity for every settled
    consultation and open adjustment of the period, for every entity whose statement
    period (`LegalEntity.statement_period`) is the one `period` names: `2026-10` closes
    the monthly entities, `2026-Q3` the quarterly ones, `2026-10-H1` the half-monthly.

    Resumable: a run that crashed is continued by calling this again (drafts are unique
    per partner, entity and period; each is issued in its own transaction, once). Raises
    `PeriodInvalid`, `PeriodNotEnded`, `PeriodCadenceMismatch`, `PeriodOverlaps`, or
    `PeriodAlreadyClosed` once a run finished. Partners with incomplete data get a held
    statement with its reason.
    """
    parsed = period_parse(period)
    if _today() <= parsed.end:
        raise errors.PeriodNotEnded(period=parsed.label)
    done = CloseRun.objects.filter(
        period_start=parsed.start, period_end=parsed.end, status=CloseRun.Status.DONE
    ).exists()
    if done:
        raise errors.PeriodAlreadyClosed(period=parsed.label)
    entity_ids = _entities_for(parsed)
    run, _created = CloseRun.objects.get_or_create(
        period_start=parsed.start,
        period_end=parsed.end,
        defaults={"started_at": clock.now()},
    )
    if run.status == CloseRun.Status.DONE:
        raise errors.PeriodAlreadyClosed(period=parsed.label)
    of_period = Statement.objects.filter(
        period_start=parsed.start,
        period_end=parsed.end,
        kind=Statement.Kind.CREDIT_NOTE,
        legal_entity_id__in=entity_ids,
    )
    try:
        _drafts_create(period=parsed, run=run, legal_entity_ids=entity_ids)
        pending = list(
            of_period.filter(status__in=[Statement.Status.DRAFT, Statement.Status.HELD])
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        total = len(pending)
        for offset in range(0, total, ISSUE_CHUNK):
            statements_issue(statement_ids=pending[offset : offset + ISSUE_CHUNK])
            if progress is not None:
                progress(min(offset + ISSUE_CHUNK, total), total)
    except Exception as exc:
        CloseRun.objects.filter(pk=run.pk).update(status=CloseRun.Status.FAILED, error=repr(exc))
        raise
    CloseRun.objects.filter(pk=run.pk).update(
        status=CloseRun.Status.DONE,
        error="",
        total=of_period.exclude(status=Statement.Status.CANCELLED).count(),
        issued=of_period.filter(status=Statement.Status.ISSUED).count(),
        held=of_period.filter(status=Statement.Status.HELD).count(),
        finished_at=clock.now(),
    )
    run.refresh_from_db()
    return run


# How far back the daily job looks for ended periods nobody closed (beat was down).
CATCH_UP_PERIODS: Final = 36


def periods_due(*, cadence: str, today: date) -> list[Period]:
    """The ended periods of `cadence` still to close, oldest first: walking back from
    the latest ended one until a period a finished close covers (also one of another
    cadence, before a switch), the earliest settled consultation, or `CATCH_UP_PERIODS`."""
    first = selectors.first_settled_day(cadence=cadence)
    due: list[Period] = []
    period = period_containing(cadence=cadence, day=today).previous()
    while first is not None and period.end >= first and len(due) < CATCH_UP_PERIODS:
        if selectors.close_covers(period=period):
            break
        due.append(period)
        period = period.previous()
    return due[::-1]


def statements_close_due(*, progress: Progress | None = None) -> list[CloseRun]:
    """Close, for each cadence some entity uses, every ended period not closed yet,
    oldest first (the beat job, daily): normally the one that just ended; after beat
    was down, the missed ones too. A failed run is resumed. An error of one cadence is
    raised after the others were closed; a cadence stops at its first error, so periods
    are never closed out of order."""
    today = _today()
    cadences = sorted(set(LegalEntity.objects.values_list("statement_period", flat=True)))
    runs: list[CloseRun] = []
    failures: list[errors.StatementError] = []
    for cadence in cadences:
        for period in periods_due(cadence=cadence, today=today):
            try:
                runs.append(statements_close(period=period.label, progress=progress))
            except errors.PeriodAlreadyClosed:
                continue
            except errors.StatementError as exc:
                # One cadence's problem (an overlap after a switch) must not stop the others.
                failures.append(exc)
                break
    if failures:
        raise failures[0]
    return runs


def statements_release_held() -> list[Statement]:
    """Issue every held statement whose partner has completed their data since."""
    ids = list(selectors.held_statements().order_by("pk").values_list("pk", flat=True))
    return [statement_issue(statement_id=statement_id) for statement_id in ids]


# --- issuing ---------------------------------------------------------------------------------


def _numbers_take(*, legal_entity_id: int, year: int, count: int) -> int:
    """Reserve `count` consecutive numbers of the series (entity × year) under the
    counter's row lock (FOR UPDATE) and return the first. Two issuers of one series
    queue here, so numbers are unique and gap-free. Caller holds the transaction and
    uses every number it took; a rollback gives them all back."""
    NumberCounter.objects.get_or_create(legal_entity_id=legal_entity_id, year=year)
    counter = NumberCounter.objects.select_for_update().get(
        legal_entity_id=legal_entity_id, year=year
    )
    first = counter.last + 1
    counter.last += count
    counter.save(update_fields=["last"])
    return first


def _number_next(*, legal_entity_id: int, year: int) -> tuple[int, str]:
    seq = _numbers_take(legal_entity_id=legal_entity_id, year=year, count=1)
    return seq, f"{NUMBER_PREFIX}-{year}-{seq:06d}"


def _minutes(seconds: int) -> str:
    return f"{seconds // 60}:{seconds % 60:02d}"


def _lines(
    statement: Statement,
    sections: Sequence[StatementSection],
    adjustments: Sequence[Adjustment],
) -> tuple[list[PlatformLine], list[AdjustmentLine], list[dict[str, Any]]]:
    period_label = period_text(statement.period_start, statement.period_end)
    platform_lines: list[PlatformLine] = []
    adjustment_lines: list[AdjustmentLine] = []
    data_lines: list[dict[str, Any]] = []
    for section in sections:
        line = PlatformLine(
            platform_name=section.platform.name,
            consultations=section.consultations,
            billed_seconds=section.billed_seconds,
            gross_takings=Money(section.gross_minor, statement.currency),
            share=Money(section.share_minor, statement.currency),
        )
        platform_lines.append(line)
        data_lines.append(
            {
                "kind": "platform",
                "platform": section.platform.name,
                "name": f"Beratungsleistungen {section.platform.name} {period_label}",
                "description": (
                    f"{section.consultations} Beratungen, {_minutes(section.billed_seconds)}"
                    " Minuten (Telefon/Chat)"
                ),
                "consultations": section.consultations,
                "billed_seconds": section.billed_seconds,
                "gross_minor": section.gross_minor,
                "amount_minor": section.share_minor,
            }
        )
    for line in (statement.data or {}).get("inherited_adjustments", []):
        adjustment_lines.append(
            AdjustmentLine(line["name"], Money(int(line["amount_minor"]), statement.currency))
        )
        data_lines.append(line)
    for adjustment in adjustments:
        amount = Money(adjustment.amount_minor, adjustment.currency)
        adjustment_lines.append(AdjustmentLine(adjustment.description, amount))
        data_lines.append(
            {
                "kind": "adjustment",
                "platform": adjustment.platform.name,
                "name": f"{adjustment.get_kind_display()}: {adjustment.description}",
                "description": adjustment.platform.name,
                "amount_minor": adjustment.amount_minor,
            }
        )
    return platform_lines, adjustment_lines, data_lines


def statement_data(
    *,
    statement: Statement,
    profile: PartnerTaxProfile,
    totals: DocumentTotals,
    lines: list[dict[str, Any]],
    number: str,
    issue_date: date,
    kind: str = "389",
    cancels: Statement | None = None,
    payout: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Everything the documents print, frozen at issue (JSON). `payout` is the credit
    note's `PayoutOutlook` (carried forward, this note, total, paid out or why not)."""
    entity = statement.legal_entity
    partner = statement.partner
    case = totals.case
    notes = [SELF_BILLING_NOTE]
    if case.note:
        notes.append(case.note)
    if cancels is not None:
        notes.insert(
            0,
            f"Storno zur Gutschrift Nr. {cancels.number} vom {cancels.issue_date:%d.%m.%Y}",
        )
    seller_address = " ".join(part for part in (profile.street, profile.building_number) if part)
    return {
        "kind": kind,
        "number": number,
        "issue_date": issue_date.isoformat(),
        "period_start": statement.period_start.isoformat(),
        "period_end": statement.period_end.isoformat(),
        "currency": statement.currency,
        "language": profile.language,
        "buyer_reference": f"BERATER-{partner.pk}",
        "seller": {
            "id": f"BERATER-{partner.pk}",
            "name": profile.legal_name,
            "street": seller_address,
            "postal_code": profile.postal_code,
            "city": profile.city,
            "country": profile.country,
            "tax_number": profile.tax_number,
            "vat_id": profile.vat_id,
            "email": partner.user.email,
            "phone": partner.phone_number,
        },
        "buyer": {
            "name": entity.name,
            "street": entity.street,
            "postal_code": entity.postal_code,
            "city": entity.city,
            "country": entity.country,
            "tax_number": "",
            "vat_id": entity.vat_id,
            "email": entity.email,
        },
        "lines": lines,
        "vat": {
            "status": str(case.status),
            "category": str(case.category),
            "rate": f"{case.rate:.2f}",
            "exemption_code": case.exemption_code,
            "note": case.note,
        },
        "net_minor": totals.net.minor,
        "vat_minor": totals.vat.minor,
        "gross_minor": totals.gross.minor,
        "payee": {
            "iban": profile.iban,
            "bic": profile.bic,
            "account_holder": profile.account_holder,
        },
        "payment_terms": "Auszahlung per SEPA-Überweisung auf das angegebene Konto",
        "cancels": (
            {"number": cancels.number, "issue_date": cancels.issue_date.isoformat()}
            if cancels is not None and cancels.issue_date is not None
            else None
        ),
        "notes": notes,
        "payout": payout,
    }


def _xml_checked(data: dict[str, Any]) -> bytes:
    xml = cii_xml(data)
    problems = xsd_errors(xml)
    if problems:
        raise errors.DocumentInvalid(number=data["number"], problems=problems[:5])
    return xml


def _vat_spec(*, statement: Statement, vat_minor: int, key: str) -> TransferSpec | None:
    """The booking of a credit note's regular VAT (see `_book_vat`); None without VAT."""
    if not vat_minor:
        return None
    input_vat = entity_account(
        legal_entity=statement.legal_entity, purpose=AccountPurpose.INPUT_VAT
    )
    payable = wallets.partner_payable_account(
        partner=statement.partner, currency=statement.currency
    )
    debit, credit = (input_vat, payable) if vat_minor > 0 else (payable, input_vat)
    return TransferSpec(
        id=uuid.uuid5(NAMESPACE, key),
        debit_account=debit,
        credit_account=credit,
        amount=Money(abs(vat_minor), statement.currency),
        purpose="credit_note_vat",
        reference=f"statement:{statement.pk}",
    )


def _book_vat(*, statement: Statement, vat_minor: int, key: str) -> None:
    """Regular VAT on a credit note is owed to the partner on top of the net share and
    deducted by the issuing entity as input VAT: input VAT → partner payable (reversed
    by a cancellation). Caller holds the transaction."""
    spec = _vat_spec(statement=statement, vat_minor=vat_minor, key=key)
    if spec is not None:
        ledger.transfers_post_linked(transfers=[spec])


# Statements issued per transaction by a close: big enough to amortise the counter lock,
# the commit and the VAT batch; small enough to keep row locks short.
ISSUE_CHUNK = 200


def statement_issue(*, statement_id: int) -> Statement:
    """Issue one draft or held credit note (see `statements_issue`)."""
    return statements_issue(statement_ids=[statement_id])[0]


def statements_issue(*, statement_ids: Sequence[int]) -> list[Statement]:
    """Issue drafts or held credit notes, all in one transaction: numbers, frozen data,
    CII XML (checked against the XSD) and the VAT bookings commit together or not at
    all. A partner without complete data keeps a held statement with the reason; issued
    or cancelled statements are returned unchanged.

    Locks: the statements' rows (FOR UPDATE, primary-key order, so a racing run waits
    and then finds them issued), then each series' counter (`_numbers_take`).
    """
    with transaction.atomic():
        statements = list(
            Statement.objects.select_for_update(of=("self",))
            .select_related("partner__user", "legal_entity")
            .filter(pk__in=statement_ids)
            .order_by("pk")
        )
        open_ones = [
            statement
            for statement in statements
            if statement.status in (Statement.Status.DRAFT, Statement.Status.HELD)
        ]
        if not open_ones:
            return statements
        partner_ids = {statement.partner_id for statement in open_ones}
        profiles = {
            profile.partner_id: profile
            for profile in PartnerTaxProfile.objects.filter(partner_id__in=partner_ids)
        }
        sections: dict[int, list[StatementSection]] = defaultdict(list)
        for section in (
            StatementSection.objects.filter(statement__in=open_ones)
            .select_related("platform")
            .order_by("platform__name", "pk")
        ):
            sections[section.statement_id].append(section)
        adjustments: dict[int, list[Adjustment]] = defaultdict(list)
        for adjustment in (
            Adjustment.objects.filter(statement__in=open_ones)
            .select_related("platform")
            .order_by("pk")
        ):
            if adjustment.statement_id is not None:
                adjustments[adjustment.statement_id].append(adjustment)
        held: list[Statement] = []
        due: list[tuple[Statement, PartnerTaxProfile]] = []
        for statement in open_ones:
            profile = profiles.get(statement.partner_id)
            gaps = selectors.tax_profile_gaps(profile)
            if gaps or profile is None:
                statement.status = Statement.Status.HELD
                statement.held_reason = " ".join(gaps)[:300]
                held.append(statement)
            else:
                due.append((statement, profile))
        if held:
            _update_many(held, ["status", "held_reason"])
        if due:
            _issue_due(due, sections, adjustments)
        return statements


def _update_many(statements: Sequence[Statement], names: Sequence[str]) -> None:
    """UPDATE each row with its own values in one executemany (psycopg pipelines it):
    Django's bulk_update builds a CASE per field and row, quadratic for our chunk.
    Values go through each field's own database preparation."""
    fields = [cast("Field[Any, Any]", Statement._meta.get_field(name)) for name in names]
    columns = ", ".join(f"{connection.ops.quote_name(str(field.column))} = %s" for field in fields)
    table = connection.ops.quote_name(Statement._meta.db_table)
    rows = [
        [
            *(
                field.get_db_prep_save(getattr(statement, field.attname), connection)
                for field in fields
            ),
            statement.pk,
        ]
        for statement in statements
    ]
    with connection.cursor() as cursor:
        cursor.executemany(f"UPDATE {table} SET {columns} WHERE id = %s", rows)  # noqa: S608


ISSUED_FIELDS: Final = [
    "status",
    "held_reason",
    "number",
    "number_year",
    "number_seq",
    "issue_date",
    "issued_at",
    "vat_status",
    "net_minor",
    "vat_minor",
    "gross_minor",
    "data",
    "xml",
    "xml_sha256",
]


def _issue_due(
    due: list[tuple[Statement, PartnerTaxProfile]],
    sections: dict[int, list[StatementSection]],
    adjustments: dict[int, list[Adjustment]],
) -> None:
    """Caller holds the transaction and the statements' row locks."""
    issue_date = _today()
    now = clock.now()
    per_series: dict[int, int] = defaultdict(int)
    for statement, _profile in due:
        per_series[statement.legal_entity_id] += 1
    firsts = {
        entity_id: _numbers_take(legal_entity_id=entity_id, year=issue_date.year, count=count)
        for entity_id, count in sorted(per_series.items())
    }
    # What earlier documents still owe each partner, and the threshold: the figures the
    # note states about its payout (read before these drafts count as issued).
    terms = {
        entity_id: payout_terms(
            legal_entity_id=entity_id,
            partner_ids=[s.partner_id for s, _p in due if s.legal_entity_id == entity_id],
        )
        for entity_id in sorted(per_series)
    }
    vat_specs: list[TransferSpec] = []
    for statement, profile in due:
        seq = firsts[statement.legal_entity_id]
        firsts[statement.legal_entity_id] += 1
        number = f"{NUMBER_PREFIX}-{issue_date.year}-{seq:06d}"
        platform_lines, adjustment_lines, data_lines = _lines(
            statement, sections[statement.pk], adjustments[statement.pk]
        )
        totals = document_totals(
            lines=platform_lines,
            adjustments=adjustment_lines,
            status=VatStatus(profile.vat_status),
            currency=statement.currency,
        )
        entity_terms = terms[statement.legal_entity_id]
        outlook = payout_outlook(
            profile=profile,
            carried_forward_minor=entity_terms.carried_forward_minor.get(statement.partner_id, 0),
            amount_minor=totals.gross.minor,
            threshold_minor=entity_terms.threshold_minor,
        )
        data = statement_data(
            statement=statement,
            profile=profile,
            totals=totals,
            lines=data_lines,
            number=number,
            issue_date=issue_date,
            payout=outlook.as_data(),
        )
        xml = _xml_checked(data)
        spec = _vat_spec(statement=statement, vat_minor=totals.vat.minor, key=f"vat:{statement.pk}")
        if spec is not None:
            vat_specs.append(spec)
        statement.status = Statement.Status.ISSUED
        statement.held_reason = ""
        statement.number = number
        statement.number_year = issue_date.year
        statement.number_seq = seq
        statement.issue_date = issue_date
        statement.issued_at = now
        statement.vat_status = profile.vat_status
        statement.net_minor = totals.net.minor
        statement.vat_minor = totals.vat.minor
        statement.gross_minor = totals.gross.minor
        statement.data = data
        statement.xml = xml
        statement.xml_sha256 = _sha256(xml)
    _update_many([statement for statement, _p in due], ISSUED_FIELDS)
    if vat_specs:
        ledger.transfers_post_linked(transfers=vat_specs)


@transaction.atomic(durable=True)
def statement_cancel(
    *, statement: Statement, reissue: bool = True
) -> tuple[Statement, Statement | None]:
    """Cancel an issued credit note: a 384 document with its own number that mirrors
    every amount and refers to the original (BG-3), its VAT booking reversed; then,
    unless `reissue` is False, a fresh credit note of the same period and content issued
    with the partner's current data. The original stays as it was, marked cancelled."""
    original = (
        Statement.objects.select_for_update()
        .select_related("partner__user", "legal_entity")
        .get(pk=statement.pk)
    )
    if original.status != Statement.Status.ISSUED or original.kind != Statement.Kind.CREDIT_NOTE:
        raise errors.StatementNotIssued(statement=original.pk)
    issue_date = _today()
    seq, number = _number_next(legal_entity_id=original.legal_entity_id, year=issue_date.year)
    data = dict(original.data)
    data.update(
        kind="384",
        number=number,
        issue_date=issue_date.isoformat(),
        net_minor=-original.net_minor,
        vat_minor=-original.vat_minor,
        gross_minor=-original.gross_minor,
        cancels={"number": original.number, "issue_date": original.data["issue_date"]},
        notes=[
            f"Storno zur Gutschrift Nr. {original.number} vom {original.issue_date:%d.%m.%Y}",
            *original.data["notes"],
        ],
        # The payout outlook is the credit note's; the replacement states its own.
        payout=None,
    )
    xml = _xml_checked(data)
    cancellation = Statement.objects.create(
        partner=original.partner,
        legal_entity=original.legal_entity,
        kind=Statement.Kind.CANCELLATION,
        status=Statement.Status.ISSUED,
        period_start=original.period_start,
        period_end=original.period_end,
        currency=original.currency,
        cancels=original,
        number=number,
        number_year=issue_date.year,
        number_seq=seq,
        issue_date=issue_date,
        issued_at=clock.now(),
        vat_status=original.vat_status,
        net_minor=-original.net_minor,
        vat_minor=-original.vat_minor,
        gross_minor=-original.gross_minor,
        data=data,
        xml=xml,
        xml_sha256=_sha256(xml),
        created_at=clock.now(),
    )
    _book_vat(statement=original, vat_minor=-original.vat_minor, key=f"vat-cancel:{original.pk}")
    Statement.objects.filter(pk=original.pk).update(status=Statement.Status.CANCELLED)
    replacement: Statement | None = None
    if reissue:
        replacement = Statement.objects.create(
            partner=original.partner,
            legal_entity=original.legal_entity,
            period_start=original.period_start,
            period_end=original.period_end,
            currency=original.currency,
            created_at=clock.now(),
        )
        StatementSection.objects.bulk_create(
            [
                StatementSection(
                    statement=replacement,
                    platform_id=section.platform_id,
                    consultations=section.consultations,
                    billed_seconds=section.billed_seconds,
                    gross_minor=section.gross_minor,
                    share_minor=section.share_minor,
                )
                for section in original.sections.all()
            ]
        )
        # Adjustments stay linked to the original; the new note repeats them as lines.
        inherited = [line for line in original.data["lines"] if line["kind"] == "adjustment"]
        Statement.objects.filter(pk=replacement.pk).update(
            data={"inherited_adjustments": inherited}
        )
        replacement = statement_issue(statement_id=replacement.pk)
    return cancellation, replacement


# --- PDF -----------------------------------------------------------------------------------


def statement_render_pdf(*, statement_id: int) -> Statement:
    """Render the PDF (ZUGFeRD: PDF/A-3 with the issued XML attached) from the frozen
    data, once. Idempotent: a statement that has its PDF is returned unchanged."""
    from sprechzeit.statements.documents.pdf import statement_pdf  # noqa: PLC0415 (heavy)

    statement = Statement.objects.get(pk=statement_id)
    if statement.pdf is not None or statement.status not in (
        Statement.Status.ISSUED,
        Statement.Status.CANCELLED,
    ):
        return statement
    pdf = statement_pdf(data=statement.data, xml=bytes(statement.xml or b""))
    with transaction.atomic():
        updated = Statement.objects.filter(pk=statement.pk, pdf__isnull=True).update(
            pdf=pdf, pdf_sha256=_sha256(pdf)
        )
    if updated:
        statement.refresh_from_db()
    return Statement.objects.get(pk=statement_id) if not updated else statement


__all__ = [
    "adjustment_create",
    "entity_account",
    "self_billing_accept",
    "statement_cancel",
    "statement_data",
    "statement_issue",
    "statement_render_pdf",
    "statements_close",
    "statements_close_due",
    "statements_issue",
    "statements_release_held",
    "tax_fields_check",
    "tax_profile_save",
]
