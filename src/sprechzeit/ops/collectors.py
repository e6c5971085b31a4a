"""Gauges read from the database (and the cache) at scrape time.

They are facts of the shared state, not of one process, so they are computed when
Prometheus asks rather than recorded: every node reports the same values (alert on
`max(...)` across nodes). Each scrape costs a handful of indexed counts.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from django.core.cache import cache
from django.db import DatabaseError
from django.db.models import Count, Min
from prometheus_client.metrics_core import GaugeMetricFamily, Metric

from sprechzeit.consultations.models import Consultation
from sprechzeit.core import clock
from sprechzeit.core.metrics import LEDGER_CHECK_CACHE_KEY
from sprechzeit.core.tasks import HEARTBEAT_KEY
from sprechzeit.payments.models import Dispute, DisputeStatus, RefundRequest, RefundRequestStatus
from sprechzeit.platforms.models import ContactMessage, Platform

logger = logging.getLogger(__name__)


class DatabaseCollector:
    """Live consultations, the settlement queue and the open back-office queues."""

    def collect(self) -> Iterator[Metric]:
        try:
            families = self._families()
        except DatabaseError as exc:
            logger.warning("metrics: the database could not be read: %s", exc)
            families = []
        up = GaugeMetricFamily(
            "sprechzeit_metrics_database_up",
            "1 when this scrape could read the database-derived gauges.",
        )
        up.add_metric([], 1 if families else 0)
        yield up
        yield from families

    def _families(self) -> list[Metric]:
        live = GaugeMetricFamily(
            "sprechzeit_consultations_live",
            "Consultations running now, per platform and channel.",
            labels=["platform", "channel"],
        )
        counts = {
            (str(row["platform__slug"]), str(row["channel"])): int(row["n"])
            for row in Consultation.objects.filter(status=Consultation.Status.LIVE)
            .values("platform__slug", "channel")
            .annotate(n=Count("pk"))
        }
        # Every platform and channel gets a series, zero included, so an alert on a
        # platform's traffic sees "0" rather than "no data".
        for slug in Platform.objects.order_by("slug").values_list("slug", flat=True):
            for channel in Consultation.Channel.values:
                counts.setdefault((slug, channel), 0)
        for (slug, channel), count in sorted(counts.items()):
            live.add_metric([slug, channel], count)

        unsettled = Consultation.objects.filter(status=Consultation.Status.ENDED).aggregate(
            depth=Count("pk"), oldest=Min("ended_at")
        )
        depth = GaugeMetricFamily(
            "sprechzeit_settlement_queue_depth",
            "Consultations ended and not yet settled.",
        )
        depth.add_metric([], int(unsettled["depth"] or 0))
        lag = GaugeMetricFamily(
            "sprechzeit_settlement_lag_seconds",
            "Age of the oldest ended, unsettled consultation (0 when none waits).",
        )
        oldest: datetime | None = unsettled["oldest"]
        lag.add_metric([], max((clock.now() - oldest).total_seconds(), 0.0) if oldest else 0.0)

        queues = GaugeMetricFamily(
            "sprechzeit_backoffice_open",
            "Open items in the back office's queues.",
            labels=["queue"],
        )
        queues.add_metric(
            ["refund_requests"],
            RefundRequest.objects.filter(status=RefundRequestStatus.REQUESTED).count(),
        )
        queues.add_metric(["disputes"], Dispute.objects.filter(status=DisputeStatus.OPEN).count())
        queues.add_metric(
            ["contact_messages"], ContactMessage.objects.filter(handled=False).count()
        )
        return [live, depth, lag, queues]


class CacheCollector:
    """Results that background processes leave in the cache for every node to report:
    the nightly ledger check and the Celery heartbeat."""

    def collect(self) -> Iterator[Metric]:
        try:
            check: Any = cache.get(LEDGER_CHECK_CACHE_KEY)
            heartbeat: Any = cache.get(HEARTBEAT_KEY)
        except Exception as exc:  # a cache outage must not fail the whole scrape
            logger.warning("metrics: the cache could not be read: %s", exc)
            return
        if isinstance(check, dict):
            ok = GaugeMetricFamily(
                "sprechzeit_ledger_check_ok",
                "1 when the last scheduled ledger check found no violation, else 0.",
            )
            ok.add_metric([], 1 if check.get("ok") else 0)
            yield ok
            ran = GaugeMetricFamily(
                "sprechzeit_ledger_check_last_run_timestamp_seconds",
                "When the last scheduled ledger check finished (Unix time).",
            )
            ran.add_metric([], float(check.get("at") or 0))
            yield ran
        if isinstance(heartbeat, str):
            try:
                stamp = datetime.fromisoformat(heartbeat).timestamp()
            except ValueError:
                return
            beat = GaugeMetricFamily(
                "sprechzeit_celery_heartbeat_timestamp_seconds",
                "When a Celery worker last ran beat's heartbeat task (Unix time).",
            )
            beat.add_metric([], stamp)
            yield beat
