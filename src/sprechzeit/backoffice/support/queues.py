"""What the support queues share: rows with owner, age and SLA colour; claiming an
item; its history."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any, Final

from django.contrib import messages
from django.db import models
from django.http import HttpRequest
from django.utils.translation import gettext as _

from sprechzeit.accounts.models import User
from sprechzeit.audit.selectors import history_for, owners_of
from sprechzeit.audit.services import queue_claim, target_key
from sprechzeit.backoffice.http import staff_ip
from sprechzeit.backoffice.queues import age_text, sla_colour
from sprechzeit.core import clock

# How long an item may wait before it is late (the last quarter shows as "due").
CONTACT_SLA: Final = timedelta(hours=24)
RATING_SLA: Final = timedelta(hours=48)
GOODWILL_SLA: Final = timedelta(hours=24)


def queue_rows[T: models.Model](
    items: Iterable[T], *, opened: Callable[[T], datetime], sla: timedelta
) -> list[dict[str, Any]]:
    """Each item with its owner, age and SLA colour, for `_queue_rows.html`."""
    listed = list(items)
    now = clock.now()
    owners = owners_of(listed)
    return [
        {
            "item": item,
            "owner": owners.get(target_key(item)),
            "age": age_text(opened(item), now=now),
            "sla": sla_colour(opened(item), now=now, sla=sla),
        }
        for item in listed
    ]


def item_header(item: models.Model, *, opened: datetime, sla: timedelta) -> dict[str, Any]:
    """Owner, age, SLA colour and history of one queue item, for its page."""
    now = clock.now()
    return {
        "owner": owners_of([item]).get(target_key(item)),
        "age": age_text(opened, now=now),
        "sla": sla_colour(opened, now=now, sla=sla),
        "history": list(history_for(item)[:50]),
    }


def claim_from_post(request: HttpRequest, item: models.Model) -> bool:
    """Handle the "take over" / "release" buttons; True when the request was one."""
    action = request.POST.get("action", "")
    if action not in ("claim", "release"):
        return False
    assert isinstance(request.user, User)
    owner = request.user if action == "claim" else None
    queue_claim(actor=request.user, target=item, owner=owner, ip=staff_ip(request))
    messages.success(request, _("Übernommen.") if owner else _("Abgegeben."))
    return True
