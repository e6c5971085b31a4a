"""Reading the audit trail and the owners of work-queue items."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db import models
from django.db.models import QuerySet

from sprechzeit.accounts.models import User
from sprechzeit.audit.models import AuditEntry, QueueClaim
from sprechzeit.audit.services import target_key


def history_for(target: models.Model) -> QuerySet[AuditEntry]:
    """The entries about one object, newest first."""
    target_type, target_id = target_key(target)
    return AuditEntry.objects.filter(target_type=target_type, target_id=target_id).select_related(
        "actor"
    )


def owners_of(targets: Iterable[models.Model]) -> dict[tuple[str, str], User]:
    """The current owner of each item that has one, keyed by `target_key`."""
    keys = [target_key(target) for target in targets]
    if not keys:
        return {}
    types = {kind for kind, _ in keys}
    ids = {pk for _, pk in keys}
    claims = QueueClaim.objects.filter(
        target_type__in=types, target_id__in=ids, owner__isnull=False
    ).select_related("owner")
    wanted = set(keys)
    owners: dict[tuple[str, str], User] = {}
    for claim in claims:
        key = (claim.target_type, claim.target_id)
        if key in wanted and claim.owner is not None:
            owners[key] = claim.owner
    return owners


def audit_entries(
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    action: str = "",
    actor_label: str = "",
) -> QuerySet[AuditEntry]:
    """Entries filtered for the audit page and its export, newest first."""
    entries = AuditEntry.objects.select_related("platform")
    if since is not None:
        entries = entries.filter(at__gte=since)
    if until is not None:
        entries = entries.filter(at__lt=until)
    if action:
        entries = entries.filter(action__startswith=action)
    if actor_label:
        entries = entries.filter(actor_label__icontains=actor_label)
    return entries
