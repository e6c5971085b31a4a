"""The partner's mails about a payout: executed by the bank ("sent") or returned (fix
the bank details). Composed by a task after the bank line commits, once per event.
From the paying operator (legal entity)."""

from __future__ import annotations

from celery import shared_task
from django.db import transaction
from django.urls import reverse

from sprechzeit.core.money import Money
from sprechzeit.notifications.rendering import platform_link
from sprechzeit.notifications.services import mail_send
from sprechzeit.payouts.models import Payout

EVENTS = {Payout.Status.CONFIRMED: "payout_sent", Payout.Status.RETURNED: "payout_returned"}


def payout_mail_on_commit(*, payout: Payout) -> None:
    payout_id = payout.pk
    transaction.on_commit(lambda: payout_mail.delay(payout_id), robust=True)


def payout_mail_send(*, payout_id: int) -> None:
    payout = (
        Payout.objects.select_related("partner__user", "run__legal_entity")
        .filter(pk=payout_id, status__in=list(EVENTS))
        .first()
    )
    if payout is None:
        return
    partner = payout.partner
    listing = partner.listings.select_related("platform").order_by("pk").first()
    template = EVENTS[Payout.Status(payout.status)]
    mail_send(
        platform=None,
        entity=payout.run.legal_entity,
        to=partner.user,
        template=template,
        context={
            "payout": payout,
            "user": partner.user,
            "amount": Money(int(payout.amount_minor), payout.currency),
            "iban_tail": payout.iban[-4:],
            "payouts_url": platform_link(listing.platform, reverse("payouts:list"))
            if listing is not None
            else "",
            "tax_url": platform_link(listing.platform, reverse("statements:tax_profile"))
            if listing is not None
            else "",
        },
        key=f"{template}:{payout.pk}",
    )


@shared_task(name="sprechzeit.payouts.mails.payout_mail")
def payout_mail(payout_id: int) -> None:
    """After a payout is confirmed or returned: the partner's mail (once per event)."""
    payout_mail_send(payout_id=payout_id)
