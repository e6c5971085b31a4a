"""What the support services share: the actor's roles and the goodwill limits."""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings

from sprechzeit.accounts import roles
from sprechzeit.accounts.models import User
from sprechzeit.core.money import Money
from sprechzeit.support.errors import NotAllowedForRole, ReasonRequired

# Who may read a client's chat transcripts (each read is audited).
TRANSCRIPT_ROLES = frozenset({roles.SUPPORT, roles.ADMIN})


def roles_of(actor: User) -> frozenset[str]:
    """The staff roles `actor` holds now; a superuser counts as every role."""
    if actor.is_superuser:
        return frozenset(roles.ROLES)
    if not actor.is_staff:
        return frozenset()
    names = set(actor.groups.values_list("name", flat=True))
    return frozenset(role for role in roles.ROLES if role in names)


def require_role(actor: User, allowed: Iterable[str]) -> None:
    """Raise NotAllowedForRole unless `actor` holds one of `allowed` (the access table
    guards the URLs; the services check again, for every other caller)."""
    if not roles_of(actor) & set(allowed):
        raise NotAllowedForRole(actor=actor.email)


def goodwill_limit(actor: User, currency: str) -> Money:
    """The largest goodwill credit `actor` may book alone: the highest limit of the
    actor's roles in `settings.SPRECHZEIT_GOODWILL_LIMITS` (minor units per role)."""
    limits: dict[str, int] = settings.SPRECHZEIT_GOODWILL_LIMITS
    return Money(max((limits.get(role, 0) for role in roles_of(actor)), default=0), currency)


def reason_clean(reason: str) -> str:
    """A stated reason, stripped; ReasonRequired when there is none."""
    cleaned = reason.strip()
    if not cleaned:
        raise ReasonRequired()
    return cleaned
