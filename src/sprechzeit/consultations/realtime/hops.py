"""The room socket's service calls that answer with what it pushes, each run as one
database hop (`realtime.base.db`): the service, then the state the browsers get (the end
frame with its summary is `realtime.ending`)."""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import transaction

from sprechzeit.accounts.models import ClientAccount
from sprechzeit.consultations.billing import client_available
from sprechzeit.consultations.models import Consultation
from sprechzeit.consultations.protocol import MeterState
from sprechzeit.consultations.selectors import meter_state
from sprechzeit.consultations.services.lifecycle import consultation_miss
from sprechzeit.consultations.services.metering import (
    consultation_extend,
    consultation_pause,
    consultation_resume,
)
from sprechzeit.core.money import Money
from sprechzeit.payments.services.saved import auto_topup_enabled, auto_topup_when_low

logger = logging.getLogger(__name__)


def extend_state(consultation: Consultation, now: datetime) -> MeterState | None:
    """Extend by what became available; None when the client has nothing available,
    found with one read and no lock. Most consultations end on their balance: the
    client's socket looks 5 s before every cut-off, and a locked transaction each (at
    4,000 at once, 4,000 in the seconds the cut-offs need) bought nothing. A top-up that
    lands after this read extends by itself (the wallet's credit signal). The read is one
    transaction (its queries would be one each in autocommit)."""
    with transaction.atomic():
        available = client_available(client=consultation.client, currency=consultation.currency)
    if available.minor <= 0:
        return None
    return meter_state(consultation_extend(consultation=consultation, now=now))


def miss_state(consultation: Consultation, now: datetime) -> MeterState | None:
    """The request timed out on the client's socket: missed (`consultation_miss`), or,
    when it was accepted in time but `started` never reached the socket (the channel
    layer drops messages under overload), the live state: the room then starts from the
    stored start, the cut-off where it always was."""
    consultation = consultation_miss(consultation=consultation, now=now)
    if consultation.status != Consultation.Status.LIVE:
        return None
    logger.warning("consultation %s: `started` missed, read from the database", consultation.pk)
    return meter_state(consultation)


def pause_state(consultation: Consultation, pause: bool, now: datetime) -> MeterState:
    service = consultation_pause if pause else consultation_resume
    return meter_state(service(consultation=consultation, client=consultation.client, now=now))


def auto_topup(client_id: int, spent: Money) -> None:
    """The client's automatic top-up at a warning (payments.services.saved); `spent` is
    what the consultation has used so far. Most clients have none: one query then."""
    if not auto_topup_enabled(client_account_id=client_id):
        return
    account = ClientAccount.objects.select_related("platform", "user").get(pk=client_id)
    auto_topup_when_low(client_account=account, spent=spent)
