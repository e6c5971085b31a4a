"""What the partners area's pages share: queue rows with owner, age and SLA colour."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from django.db import models

from sprechzeit.accounts.models import User
from sprechzeit.audit.selectors import owners_of
from sprechzeit.audit.services import target_key
from sprechzeit.backoffice.queues import age_text, sla_colour
from sprechzeit.core import clock

APPLICATION_SLA: Final = timedelta(days=5)
REVISION_SLA: Final = timedelta(days=2)


@dataclass(frozen=True, slots=True)
class QueueRow:
    item: Any
    owner: User | None
    age: str
    sla: str


def queue_rows(
    items: list[Any], *, opened: str, sla: timedelta, now: datetime | None = None
) -> list[QueueRow]:
    """Each item with its owner (queue claims), age and SLA colour."""
    moment = now or clock.now()
    owners = owners_of(items) if items else {}
    return [
        QueueRow(
            item=item,
            owner=owners.get(target_key(item)),
            age=age_text(getattr(item, opened), now=moment),
            sla=sla_colour(getattr(item, opened), now=moment, sla=sla),
        )
        for item in items
    ]


def owner_of(item: models.Model) -> User | None:
    return owners_of([item]).get(target_key(item))
