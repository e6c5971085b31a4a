"""Reported ratings: a client of the platform or the rated partner reports a rating with
a reason; staff hide it (off the profile and the average) or keep it, and may restore a
hidden one. A decision resolves every open report of the rating."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from sprechzeit.accounts import roles
from sprechzeit.accounts.models import User
from sprechzeit.audit.services import audit_record
from sprechzeit.consultations.models import Rating
from sprechzeit.consultations.services import rating_set_hidden
from sprechzeit.core import clock
from sprechzeit.support.errors import ReportExists, ReportNotAllowed
from sprechzeit.support.models import RatingReport
from sprechzeit.support.services.common import reason_clean, require_role

MODERATION_ROLES = frozenset({roles.SUPPORT, roles.ADMIN})


def _may_report(user: User, rating: Rating) -> bool:
    """A client of the rating's platform, or the partner whose listing it rates."""
    listing = rating.listing
    if user.kind == User.Kind.CLIENT:
        return user.platform_id == listing.platform_id
    if user.kind == User.Kind.PARTNER:
        return listing.partner.user_id == user.pk
    return False


def rating_report(
    *, reporter: User, rating: Rating, reason: str, comment: str = ""
) -> RatingReport:
    """Report a visible rating. One open report per person and rating (ReportExists)."""
    if not _may_report(reporter, rating) or rating.hidden_at is not None:
        raise ReportNotAllowed()
    if reason not in RatingReport.Reason.values:
        raise ReportNotAllowed(reason=reason)
    try:
        with transaction.atomic():
            return RatingReport.objects.create(
                rating=rating,
                reporter=reporter,
                reason=reason,
                comment=comment.strip()[:2000],
                created_at=clock.now(),
            )
    except IntegrityError as exc:
        raise ReportExists() from exc


def _resolve(*, actor: User, rating: Rating, outcome: str) -> list[int]:
    now = clock.now()
    open_reports = RatingReport.objects.select_for_update().filter(
        rating=rating, resolved_at__isnull=True
    )
    ids = [int(pk) for pk in open_reports.values_list("pk", flat=True)]
    RatingReport.objects.filter(pk__in=ids).update(
        resolved_at=now, resolved_by=actor, outcome=outcome
    )
    return ids


@transaction.atomic
def rating_hide(*, actor: User, rating: Rating, reason: str, ip: str | None = None) -> Rating:
    """Hide the rating (reason required) and resolve its open reports as upheld."""
    require_role(actor, MODERATION_ROLES)
    why = reason_clean(reason)
    before = {"hidden": rating.hidden_at is not None}
    rating = rating_set_hidden(rating=rating, hidden=True, reason=why)
    reports = _resolve(actor=actor, rating=rating, outcome=RatingReport.Outcome.HIDDEN)
    audit_record(
        actor=actor,
        action="rating.hide",
        target=rating,
        platform=rating.listing.platform,
        before=before,
        after={"hidden": True, "reports": reports},
        reason=why,
        ip=ip,
    )
    return rating


@transaction.atomic
def rating_restore(*, actor: User, rating: Rating, reason: str, ip: str | None = None) -> Rating:
    """Show a hidden rating again (reason required)."""
    require_role(actor, MODERATION_ROLES)
    why = reason_clean(reason)
    before = {"hidden": rating.hidden_at is not None, "hidden_reason": rating.hidden_reason}
    rating = rating_set_hidden(rating=rating, hidden=False)
    audit_record(
        actor=actor,
        action="rating.restore",
        target=rating,
        platform=rating.listing.platform,
        before=before,
        after={"hidden": False},
        reason=why,
        ip=ip,
    )
    return rating


@transaction.atomic
def rating_keep(*, actor: User, rating: Rating, reason: str, ip: str | None = None) -> Rating:
    """Leave the rating visible and resolve its open reports as not upheld."""
    require_role(actor, MODERATION_ROLES)
    why = reason_clean(reason)
    reports = _resolve(actor=actor, rating=rating, outcome=RatingReport.Outcome.KEPT)
    audit_record(
        actor=actor,
        action="rating.keep",
        target=rating,
        platform=rating.listing.platform,
        before={"open_reports": reports},
        after={"open_reports": []},
        reason=why,
        ip=ip,
    )
    return rating
