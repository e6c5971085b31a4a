"""Writing the audit trail: one entry per staff action, in the action's transaction."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction

from sprechzeit.accounts.models import User
from sprechzeit.audit.models import AuditEntry, QueueClaim
from sprechzeit.core import clock
from sprechzeit.core.errors import DomainError
from sprechzeit.platforms.models import Platform


class AuditActionInvalid(DomainError):
    code = "audit_action_invalid"
    default_message = "An audit action is a dotted slug such as 'dispute.outcome'."


def target_key(target: models.Model) -> tuple[str, str]:
    """(`app_label.model`, primary key as text): how an entry names its object."""
    return target._meta.label_lower, str(target.pk)


def _json(value: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """`value` as plain JSON (dates, decimals, UUIDs and Money as text)."""
    if value is None:
        return None
    return dict(json.loads(json.dumps(dict(value), cls=DjangoJSONEncoder, default=str)))


def _roles_of(actor: User | None) -> str:
    if actor is None:
        return ""
    names = sorted(actor.groups.values_list("name", flat=True))
    if actor.is_superuser:
        names.insert(0, "superuser")
    return ",".join(names)[:100]


def audit_record(
    *,
    actor: User | None,
    action: str,
    target: models.Model | None = None,
    platform: Platform | None = None,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    reason: str = "",
    ip: str | None = None,
) -> AuditEntry:
    """Record one staff action. Call it inside the action's own transaction, so the action
    and its entry commit (or fail) together. `actor` None: the system (a task)."""
    if not action or len(action) > 64 or not all(part.isidentifier() for part in action.split(".")):
        raise AuditActionInvalid(action=action)
    target_type, target_id = target_key(target) if target is not None else ("", "")
    if platform is None and target is not None:
        platform = getattr(target, "platform", None) if hasattr(target, "platform_id") else None
    return AuditEntry.objects.create(
        at=clock.now(),
        actor=actor,
        actor_label=actor.email if actor is not None else "system",
        actor_roles=_roles_of(actor),
        action=action,
        target_type=target_type,
        target_id=target_id,
        target_label=str(target)[:200] if target is not None else "",
        platform=platform,
        before=_json(before),
        after=_json(after),
        reason=reason,
        ip=ip or None,
    )


@transaction.atomic
def queue_claim(
    *, actor: User, target: models.Model, owner: User | None, ip: str | None = None
) -> QueueClaim:
    """Make `owner` (None: nobody) responsible for a work-queue item; audited."""
    target_type, target_id = target_key(target)
    claim, created = QueueClaim.objects.select_for_update().get_or_create(
        target_type=target_type,
        target_id=target_id,
        defaults={"owner": owner, "claimed_at": clock.now()},
    )
    previous = None if created else claim.owner
    if not created:
        claim.owner = owner
        claim.claimed_at = clock.now()
        claim.save(update_fields=["owner", "claimed_at"])
    audit_record(
        actor=actor,
        action="queue.claim",
        target=target,
        before={"owner": previous.email if previous is not None else None},
        after={"owner": owner.email if owner is not None else None},
        ip=ip,
    )
    return claim
