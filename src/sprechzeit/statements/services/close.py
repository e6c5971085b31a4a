"""The period close: drafts per partner and issuing entity, issued in chunks; the daily
job that closes every ended period not closed yet; releasing held statements.

Resumable: drafts are unique per partner, entity and period, and each chunk is issued
in its own transaction (`issue.statements_issue`), so a run that dies midway and is
started again issues each document exactly once.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import date
from typing import Final

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from sprechzeit.core import clock
from sprechzeit.platforms.models import LegalEntity
from sprechzeit.statements import errors, issuing_rules, selectors
from sprechzeit.statements.models import Adjustment, CloseRun, Statement, StatementSection
from sprechzeit.statements.periods import Period, period_containing, period_parse, today
from sprechzeit.statements.services.issue import statement_issue, statements_issue

type Progress = Callable[[int, int], None]

# Statements issued per transaction by a close: big enough to amortise the counter lock,
# the commit and the VAT batch; small enough to keep row locks short.
ISSUE_CHUNK = 200


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


def statements_close(
    *, period: str, progress: Progress | None = None, late_override: str = ""
) -> CloseRun:
    """Close a period: a credit note per partner and issuing entity for every settled
    consultation and open adjustment of the period, for every entity whose statement
    period (`LegalEntity.statement_period`) is the one `period` names: `2026-10` closes
    the monthly entities, `2026-Q3` the quarterly ones, `2026-10-H1` the half-monthly.

    Resumable: a run that crashed is continued by calling this again (drafts are unique
    per partner, entity and period; each is issued in its own transaction, once). Raises
    `PeriodInvalid`, `PeriodNotEnded`, `PeriodCadenceMismatch`, `PeriodOverlaps`, or
    `PeriodAlreadyClosed` once a run finished, `PeriodPastDeadline` when the period ended
    more than six months ago (§ 14 Abs. 2 UStG) and no `late_override` (the reason to
    issue anyway, kept in each note's data) is given. Partners with incomplete data or
    without consent to self-billing for the entity get a held statement with its reason.
    """
    parsed = period_parse(period)
    if today() <= parsed.end:
        raise errors.PeriodNotEnded(period=parsed.label)
    if issuing_rules.deadline_gap(period_end=parsed.end, late_override=late_override):
        raise errors.PeriodPastDeadline(
            period=parsed.label, deadline=issuing_rules.issue_deadline(parsed.end).isoformat()
        )
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
            statements_issue(
                statement_ids=pending[offset : offset + ISSUE_CHUNK], late_override=late_override
            )
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
    are never closed out of order — except a period past the issuing deadline, which
    waits for staff's override while the later ones are closed."""
    day = today()
    cadences = sorted(set(LegalEntity.objects.values_list("statement_period", flat=True)))
    runs: list[CloseRun] = []
    failures: list[errors.StatementError] = []
    for cadence in cadences:
        for period in periods_due(cadence=cadence, today=day):
            try:
                runs.append(statements_close(period=period.label, progress=progress))
            except errors.PeriodAlreadyClosed:
                continue
            except errors.PeriodPastDeadline as exc:
                # Staff close it with an override; the later periods go on meanwhile.
                failures.append(exc)
                continue
            except errors.StatementError as exc:
                # One cadence's problem (an overlap after a switch) must not stop the others.
                failures.append(exc)
                break
    if failures:
        raise failures[0]
    return runs


def statements_release_held(*, late_override: str = "") -> list[Statement]:
    """Issue every held statement whose partner has completed their data (or given
    consent) since; past the issuing deadline only with `late_override`."""
    ids = list(selectors.held_statements().order_by("pk").values_list("pk", flat=True))
    return [
        statement_issue(statement_id=statement_id, late_override=late_override)
        for statement_id in ids
    ]
