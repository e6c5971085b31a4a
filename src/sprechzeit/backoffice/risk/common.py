"""What the risk queues share: the acting staff member, queue rows with owner, age and
SLA colour, and taking or handing back an item (`audit.services.queue_claim`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import wraps
from typing import Any

from django.db import models
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from sprechzeit.accounts.models import User
from sprechzeit.audit.selectors import owners_of
from sprechzeit.audit.services import queue_claim, target_key
from sprechzeit.backoffice.http import console_view, staff_ip
from sprechzeit.backoffice.queues import age_text, sla_colour
from sprechzeit.collections.models import DunningCase
from sprechzeit.core import clock
from sprechzeit.payments.models import BankEntry, Dispute, InboxEntry, RefundRequest

# What may be claimed, by the kind in the URL, and the page it goes back to.
CLAIMABLE: dict[str, tuple[type[models.Model], str]] = {
    "dispute": (Dispute, "backoffice:risk_dispute"),
    "refund": (RefundRequest, "backoffice:risk_refund"),
    "case": (DunningCase, "backoffice:risk_case"),
    "bankentry": (BankEntry, "backoffice:risk_unmatched"),
    "inboxentry": (InboxEntry, "backoffice:risk_unmatched"),
}
DETAIL_ARG = {"dispute": "dispute_id", "refund": "request_id", "case": "case_id"}


def actor(request: HttpRequest) -> User:
    user = request.user
    if not isinstance(user, User):
        raise Http404
    return user


@dataclass(frozen=True)
class QueueRow:
    item: Any
    owner: User | None
    age: str
    sla: str


def queue_rows(
    items: Sequence[Any], *, opened: str, sla: timedelta | None, now: datetime | None = None
) -> list[QueueRow]:
    """Each item with its owner, its age (from its `opened` attribute) and SLA colour."""
    now = now or clock.now()
    owners = owners_of(items)
    rows = []
    for item in items:
        started = getattr(item, opened) or now
        if not isinstance(started, datetime):  # a booking date: the start of that day
            started = datetime.combine(started, datetime.min.time(), tzinfo=now.tzinfo)
        rows.append(
            QueueRow(
                item=item,
                owner=owners.get(target_key(item)),
                age=age_text(started, now=now),
                sla=sla_colour(started, now=now, sla=sla) if sla is not None else "ok",
            )
        )
    return rows


def owner_of(item: models.Model) -> User | None:
    return owners_of([item]).get(target_key(item))


def post_only(queue: str) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """A form action: a GET (a bookmark, a link) goes to the `queue` page instead."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if request.method != "POST":
                return redirect(queue)
            return view(request, *args, **kwargs)

        return wrapped

    return decorate


@console_view
def claim(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    """Take an item (owner: me) or hand it back (owner: nobody). GET goes to the queue."""
    if kind not in CLAIMABLE:
        raise Http404
    model, back = CLAIMABLE[kind]
    if request.method != "POST":
        return redirect("backoffice:risk_disputes")
    item = model._default_manager.filter(pk=pk).first()
    if item is None:
        raise Http404(_("Diesen Eintrag gibt es nicht."))
    me = actor(request)
    owner = None if request.POST.get("owner") == "none" else me
    queue_claim(actor=me, target=item, owner=owner, ip=staff_ip(request))
    if kind in DETAIL_ARG:
        return redirect(reverse(back, kwargs={DETAIL_ARG[kind]: pk}))
    return redirect(back)
