"""Every Prometheus metric that Sprechzeit records in-process, and the functions to record them.

Low in the layers on purpose: domain code (consultations, payments, ledger) calls the
`observe_*` / `count_*` functions below; nothing here imports a domain app. Gauges that are
a fact of the database (live consultations, the settlement queue, open back-office queues)
are not recorded here but read at scrape time (`sprechzeit.ops.collectors`).

Multi-process: uvicorn runs several worker processes per node and Celery several pool
processes. With `PROMETHEUS_MULTIPROC_DIR` set (before the first import of
prometheus_client, i.e. in the service's environment), every process writes its samples
to memory-mapped files in that folder and a scrape of any one process sums them
(`exposition`). That is why only counters and histograms live here: they add up across
processes, dead ones included, without per-process gauge semantics. A gauge that has to
survive the process that set it (the nightly ledger check) goes through the cache.

Label values come from closed sets (provider kinds, outcome names, URL names), never from
user input or raw paths, so the number of series stays bounded.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Final, Protocol

from django.core.cache import cache
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    disable_created_metrics,
)
from prometheus_client.exposition import generate_latest
from prometheus_client.metrics_core import Metric
from prometheus_client.multiprocess import MultiProcessCollector

# `*_created` series double every counter and histogram and serve no alert here.
disable_created_metrics()  # type: ignore[no-untyped-call]

# The application's own metrics (not the default registry, whose process collectors
# describe only the one process that happens to answer the scrape).
REGISTRY: Final = CollectorRegistry(auto_describe=True)

# Where the nightly ledger check leaves its result for every node's scrape to read.
LEDGER_CHECK_CACHE_KEY: Final = "sprechzeit:ledger-check:last"

_LABEL_MAX = 64

HTTP_REQUEST_SECONDS: Final = Histogram(
    "sprechzeit_http_request_duration_seconds",
    "Time from the request entering Django to the response leaving it, per URL name.",
    ["view", "method", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
    registry=REGISTRY,
)
CUTOFF_LATENESS_SECONDS: Final = Histogram(
    "sprechzeit_cutoff_lateness_seconds",
    "How late a consultation was cut off after its paid second (0 = on time).",
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0),
    registry=REGISTRY,
)
EVENT_LOOP_LAG_SECONDS: Final = Histogram(
    "sprechzeit_event_loop_lag_seconds",
    "How much later than due a server process's event loop woke a 0.1 s probe "
    "(core.loopwatch): how long every timer due then, cut-offs included, was held up.",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0),
    registry=REGISTRY,
)
GC_PAUSE_SECONDS: Final = Histogram(
    "sprechzeit_gc_pause_seconds",
    "Pauses of the garbage collector in the server processes, per generation.",
    ["generation"],
    buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0),
    registry=REGISTRY,
)
WEBHOOKS: Final = Counter(
    "sprechzeit_webhooks",
    "Provider notifications received, per provider and outcome.",
    ["provider", "outcome"],
    registry=REGISTRY,
)
WEBHOOK_SECONDS: Final = Histogram(
    "sprechzeit_webhook_duration_seconds",
    "Time to verify, store and answer one provider notification.",
    ["provider"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
    registry=REGISTRY,
)
PAYMENT_OUTCOMES: Final = Counter(
    "sprechzeit_payment_outcomes",
    "Payments that reached a final state, per provider and outcome.",
    ["provider", "outcome"],
    registry=REGISTRY,
)
LEDGER_TRANSFERS: Final = Counter(
    "sprechzeit_ledger_transfers",
    "Ledger transfers booked (rate() gives transfers per second).",
    registry=REGISTRY,
)
LEDGER_CHECK_FAILURES: Final = Counter(
    "sprechzeit_ledger_check_failures",
    "Scheduled ledger checks that found a violation.",
    registry=REGISTRY,
)


def _label(value: str) -> str:
    return value[:_LABEL_MAX] or "unknown"


def observe_http_request(*, view: str, method: str, status: int, seconds: float) -> None:
    """One answered HTTP request (called by the ops middleware; `view` is a URL name)."""
    HTTP_REQUEST_SECONDS.labels(
        view=_label(view), method=_label(method), status=f"{status // 100}xx"
    ).observe(max(seconds, 0.0))


def observe_cutoff_lateness(seconds: float) -> None:
    """A consultation was cut off `seconds` after its last paid second (negative: early,
    recorded as 0). Call once per cut-off, where the meter ends a consultation."""
    CUTOFF_LATENESS_SECONDS.observe(max(seconds, 0.0))


def observe_loop_lag(seconds: float) -> None:
    """The event loop woke its probe `seconds` late (core.loopwatch)."""
    EVENT_LOOP_LAG_SECONDS.observe(max(seconds, 0.0))


def observe_gc_pause(*, generation: int, seconds: float) -> None:
    """The garbage collector stopped the process for `seconds` (core.loopwatch)."""
    GC_PAUSE_SECONDS.labels(generation=str(generation)).observe(max(seconds, 0.0))


def observe_webhook(*, provider: str, outcome: str, seconds: float) -> None:
    """One provider notification: `provider` is the provider kind ("stripe", "mollie", …),
    `outcome` one of a closed set ("processed", "duplicate", "rejected", "failed")."""
    WEBHOOKS.labels(provider=_label(provider), outcome=_label(outcome)).inc()
    WEBHOOK_SECONDS.labels(provider=_label(provider)).observe(max(seconds, 0.0))


def count_payment_outcome(*, provider: str, outcome: str) -> None:
    """A payment reached a final state: `outcome` is its status ("succeeded", "failed",
    "cancelled", "expired", "disputed", "refunded")."""
    PAYMENT_OUTCOMES.labels(provider=_label(provider), outcome=_label(outcome)).inc()


def count_ledger_transfers(count: int = 1) -> None:
    """`count` transfers were booked (call after the booking transaction committed)."""
    if count > 0:
        LEDGER_TRANSFERS.inc(count)


def ledger_check_record(*, ok: bool, violations: int) -> None:
    """The result of a scheduled ledger check: counted here when it failed, and left in the
    cache so that every node's scrape reports `sprechzeit_ledger_check_ok` and the time of
    the last run, whichever process ran the check."""
    if not ok:
        LEDGER_CHECK_FAILURES.inc()
    cache.set(
        LEDGER_CHECK_CACHE_KEY,
        {"ok": ok, "violations": violations, "at": time.time()},
        timeout=None,
    )


class Collector(Protocol):
    def collect(self) -> Iterable[Metric]: ...


class _RegistryCollector:
    """The in-process registry as one collector of a scrape registry."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry

    def collect(self) -> Iterator[Metric]:
        yield from self.registry.collect()


def exposition(
    *, multiprocess_dir: Path | None, extra: Iterable[Collector] = ()
) -> tuple[bytes, str]:
    """The text exposition of one scrape and its content type: the in-process metrics
    (or, with `multiprocess_dir`, the sum over every process writing there) plus `extra`
    collectors evaluated now."""
    registry = CollectorRegistry(auto_describe=False)
    if multiprocess_dir is not None:
        MultiProcessCollector(registry, path=str(multiprocess_dir))  # type: ignore[no-untyped-call]
    else:
        registry.register(_RegistryCollector(REGISTRY))
    for collector in extra:
        registry.register(collector)
    return generate_latest(registry), CONTENT_TYPE_LATEST
