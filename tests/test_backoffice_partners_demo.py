"""The demo seeds the console's partners queues: applications of different ages (every
SLA colour), one rejected, a listing edit awaiting review while the old text stays
public, adjustments booked and one waiting for a second approver; the ledger is sound."""

from __future__ import annotations

from datetime import timedelta

import pytest

from sprechzeit.accounts.selectors import listings_published
from sprechzeit.backoffice.queues import sla_colour
from sprechzeit.core import clock
from sprechzeit.demo.backoffice_partners import demo_backoffice_partners
from sprechzeit.demo.seed import demo_seed
from sprechzeit.ledger.tests.helpers import assert_ledger_sound
from sprechzeit.partners import selectors
from sprechzeit.partners.models import AdjustmentRequest, PartnerApplication

pytestmark = pytest.mark.django_db


def test_the_demo_fills_every_partners_queue() -> None:
    demo_seed()
    now = clock.now()
    open_ones = list(selectors.applications_open())
    colours = {sla_colour(a.submitted_at, now=now, sla=timedelta(days=5)) for a in open_ones}
    assert colours == {"ok", "due", "late"}
    assert PartnerApplication.objects.filter(status="rejected").count() == 1
    (revision,) = selectors.revisions_pending()
    public = listings_published(revision.listing.platform).get(pk=revision.listing_id)
    assert public.headline != revision.headline  # the old version stays public
    statuses = sorted(AdjustmentRequest.objects.values_list("status", flat=True))
    assert statuses == ["booked", "booked", "pending"]
    assert demo_backoffice_partners() == 0  # idempotent
    assert_ledger_sound()
