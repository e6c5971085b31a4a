"""Error reports to Sentry, on only when SENTRY_DSN is set (settings call `sentry_init`).

Reports carry no personal data: `send_default_pii=False` (no user e-mail, no address, no
cookies), no request bodies (forms carry passwords and IBANs), no local variables of the
failing frames, and every message and exception text is scrubbed like a log line
(`core.logs.redact`). What a report does carry is the log context (request id, platform,
user id, consultation id) as tags, to find the matching log lines.
"""

from __future__ import annotations

from typing import Any

import sentry_sdk
from sentry_sdk.integrations.celery import CeleryIntegration
from sentry_sdk.integrations.django import DjangoIntegration

from sprechzeit.core.logs import log_context_current, redact


def _scrub(event: Any, _hint: Any) -> Any:
    logentry = event.get("logentry") or {}
    for key in ("message", "formatted"):
        if isinstance(logentry.get(key), str):
            logentry[key] = redact(logentry[key])
    if isinstance(event.get("message"), str):
        event["message"] = redact(event["message"])
    for exception in (event.get("exception") or {}).get("values") or []:
        if isinstance(exception.get("value"), str):
            exception["value"] = redact(exception["value"])
    tags = event.setdefault("tags", {})
    for name, value in log_context_current().items():
        tags.setdefault(name, str(value))
    return event


def _scrub_breadcrumb(crumb: Any, _hint: Any) -> Any:
    if isinstance(crumb.get("message"), str):
        crumb["message"] = redact(crumb["message"])
    return crumb


def sentry_init(*, dsn: str | None, environment: str, release: str) -> bool:
    """Start reporting to `dsn` (Django and Celery integrations); without a DSN do
    nothing and return False."""
    if not dsn:
        return False
    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        release=release,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        send_default_pii=False,
        include_local_variables=False,
        max_request_body_size="never",
        before_send=_scrub,
        before_breadcrumb=_scrub_breadcrumb,
    )
    return True
