"""The provider inbox: verify on the raw body, store once per (configuration, event id)
with the raw body, then process idempotently.

Concurrent deliveries of one event: the unique constraint lets exactly one insert win;
every delivery then processes under the entry's row lock, and the first to get it
does the work while the others find it done. Payments are credited at most once
whatever is replayed (see `services.payments`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial
from typing import Final

from django.db import IntegrityError, transaction
from django.db.models import F

from sprechzeit.core import clock, metrics
from sprechzeit.core.errors import DomainError
from sprechzeit.payments.errors import InvalidSignature, MalformedEvent, UpdateNeedsReview
from sprechzeit.payments.models import InboxEntry, InboxStatus, ProviderConfig
from sprechzeit.payments.providers import provider_for
from sprechzeit.payments.providers.base import Provider, ProviderEvent
from sprechzeit.payments.selectors import find_payment
from sprechzeit.payments.services.payments import payment_apply

logger = logging.getLogger(__name__)

# Headers worth keeping with the raw body (signatures and delivery ids), never cookies.
_KEPT_HEADERS: Final = (
    "Stripe-Signature",
    "X-Sandbox-Signature",
    "Paypal-Transmission-Id",
    "Paypal-Transmission-Time",
    "Paypal-Transmission-Sig",
    "Paypal-Cert-Url",
    "Paypal-Auth-Algo",
    "Content-Type",
    "User-Agent",
)


@dataclass(frozen=True, slots=True)
class InboxOutcome:
    entry_id: int
    status: InboxStatus
    duplicate: bool


def inbox_receive(
    *, config: ProviderConfig, body: bytes, headers: Mapping[str, str]
) -> InboxOutcome:
    """Verify, store and process one notification. Raises `InvalidSignature` or
    `MalformedEvent` (nothing stored: it may be forged, or it cannot be read at all). An
    authentic, readable event that cannot be applied (no payment of ours) is stored for
    review and answered normally."""
    started = time.perf_counter()
    provider = provider_for(config)
    try:
        event = provider.event_parse(body=body, headers=headers)
        _check_readable(provider, event, body)
    except (InvalidSignature, MalformedEvent):
        metrics.observe_webhook(
            provider=config.kind, outcome="rejected", seconds=time.perf_counter() - started
        )
        raise
    entry, duplicate = _store(config=config, event=event, body=body, headers=headers)
    status = inbox_process(entry_id=int(entry.pk))
    # After commit (each step above commits its own; inside a caller's transaction, with it).
    transaction.on_commit(
        partial(
            metrics.observe_webhook,
            provider=config.kind,
            outcome="duplicate" if duplicate else str(status),
            seconds=time.perf_counter() - started,
        )
    )
    return InboxOutcome(entry_id=int(entry.pk), status=status, duplicate=duplicate)


def _check_readable(provider: Provider, event: ProviderEvent, body: bytes) -> None:
    """An authentic event we could not read is refused before it is stored (400, nothing
    stored, the provider shows the failed delivery): a JSON array or a scalar where an
    object belongs, an amount that is not a bounded integer or decimal (NaN, Infinity,
    "abc", 1e999999), an unknown currency, or a NUL character (PostgreSQL's text and jsonb
    cannot hold one)."""
    if b"\x00" in body or b"\\u0000" in body:
        raise MalformedEvent()
    try:
        provider.event_updates(event)
    except MalformedEvent:
        raise
    except (DomainError, ArithmeticError, AttributeError, KeyError, TypeError, ValueError) as exc:
        raise MalformedEvent() from exc


def _store(
    *, config: ProviderConfig, event: ProviderEvent, body: bytes, headers: Mapping[str, str]
) -> tuple[InboxEntry, bool]:
    kept = {name: headers[name] for name in _KEPT_HEADERS if name in headers}
    try:
        with transaction.atomic():
            entry = InboxEntry.objects.create(
                provider_config=config,
                external_id=event.external_id[:255],
                event_type=event.type[:100],
                raw_body=body.decode("utf-8", errors="replace"),
                headers=kept,
                payload=dict(event.payload),
                received_at=clock.now(),
            )
        return entry, False
    except IntegrityError:
        InboxEntry.objects.filter(provider_config=config, external_id=event.external_id).update(
            deliveries=F("deliveries") + 1
        )
        return InboxEntry.objects.get(provider_config=config, external_id=event.external_id), True


def inbox_process(*, entry_id: int) -> InboxStatus:
    """Process a stored entry once (entries already processed, ignored or waiting for
    review are left alone). Safe to call again at any time, e.g. from the admin."""
    with transaction.atomic():
        entry = (
            InboxEntry.objects.select_for_update(of=("self",))
            .select_related("provider_config__platform")
            .get(pk=entry_id)
        )
        if entry.status != InboxStatus.RECEIVED and entry.status != InboxStatus.FAILED:
            return InboxStatus(entry.status)
        config = entry.provider_config
        event = ProviderEvent(
            external_id=entry.external_id, type=entry.event_type, payload=entry.payload
        )
        notes: list[str] = []
        try:
            with transaction.atomic():
                updates = provider_for(config).event_updates(event)
                if not updates:
                    entry.status = InboxStatus.IGNORED
                for update in updates:
                    payment = find_payment(config=config, update=update)
                    if payment is None:
                        raise UpdateNeedsReview("No payment of ours matches this event.")
                    entry.payment = payment
                    notes.append(
                        f"{update.kind}: {payment_apply(payment_id=payment.pk, update=update)}"
                    )
                if updates:
                    entry.status = InboxStatus.PROCESSED
        except (UpdateNeedsReview, MalformedEvent) as exc:
            entry.status = InboxStatus.REVIEW
            notes.append(f"{exc.code}: {exc.message} {dict(exc.fields)}")
        except Exception as exc:
            logger.exception("inbox entry %s failed", entry.pk)
            entry.status = InboxStatus.FAILED
            notes.append(f"error: {exc!r}")
        entry.note = "; ".join(notes)[:2000]
        entry.processed_at = clock.now()
        entry.save(update_fields=["status", "note", "processed_at", "payment"])
        return InboxStatus(entry.status)
