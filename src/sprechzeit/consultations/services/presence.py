"""A partner's presence: online or offline on every platform at once."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction

from sprechzeit.accounts.errors import PartnerSuspended
from sprechzeit.accounts.models import Partner
from sprechzeit.consultations.models import PartnerPresence
from sprechzeit.consultations.services.common import moment_of, partner_presence_push


def presence_set(*, partner: Partner, status: str, now: datetime | None = None) -> PartnerPresence:
    """Set a partner online or offline on every platform; going online clears the count
    of missed requests. Directory pages hear about it after commit."""
    status = PartnerPresence.Status(status)
    if status == PartnerPresence.Status.ONLINE and partner.suspended_at is not None:
        raise PartnerSuspended()
    moment = moment_of(now)
    with transaction.atomic():
        presence, _created = PartnerPresence.objects.select_for_update().get_or_create(
            partner=partner, defaults={"status": status, "changed_at": moment}
        )
        presence.status = status
        presence.changed_at = moment
        if status == PartnerPresence.Status.ONLINE:
            presence.missed_in_row = 0
        presence.save(update_fields=["status", "changed_at", "missed_in_row"])
        partner_presence_push(partner)
    return presence
