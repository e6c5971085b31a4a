"""Structured logs: one line per event, JSON in production, readable text in the demo.

Every line carries the context of the work it belongs to, bound once where that work
starts and read by a logging filter, so no log call has to pass it:

- `request_id`: per HTTP request (the ops middleware; echoed as `X-Request-ID`);
- `platform`: the platform's slug; `user_id`: the user's primary key;
- `consultation_id`: bound by consumers and tasks that work on one consultation
  (`with log_context(consultation_id=...)`), or passed by a single call
  (`logger.info(..., extra={"consultation_id": ...})`);
- `task` / `task_id`: the Celery task being run (`celery_context_connect`).

The context lives in a `contextvars.ContextVar`, so it follows asyncio tasks and
asgiref's thread hops, and one request's values never leak into another's.

Lines never carry personal data or secrets: the context holds ids only, and each
formatted line is scrubbed of what slips into messages or tracebacks anyway (e-mail
addresses, IBANs, IPv4 addresses, bearer tokens; `redact`).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from contextvars import ContextVar, Token
from types import MappingProxyType
from typing import Any, Final, Literal

from celery.signals import task_postrun, task_prerun
from pythonjsonlogger.json import JsonFormatter as _JsonFormatter

FIELDS: Final = ("request_id", "platform", "user_id", "consultation_id", "task", "task_id")

LogFormat = Literal["json", "text"]

# An immutable empty default: every bind sets a fresh mapping, nothing is mutated in place.
_EMPTY: Final[Mapping[str, str | int]] = MappingProxyType({})
_context: ContextVar[Mapping[str, str | int]] = ContextVar("sprechzeit_log_context", default=_EMPTY)


def log_context_bind(**values: str | int | None) -> Token[Mapping[str, str | int]]:
    """Add `values` (names from `FIELDS`; None removes one) to the current context; give
    the token to `log_context_reset` when the work ends."""
    unknown = set(values) - set(FIELDS)
    if unknown:
        raise ValueError(f"unknown log context field(s): {', '.join(sorted(unknown))}")
    merged = dict(_context.get())
    for name, value in values.items():
        if value is None:
            merged.pop(name, None)
        else:
            merged[name] = value
    return _context.set(merged)


def log_context_reset(token: Token[Mapping[str, str | int]]) -> None:
    """Restore the context as it was before the `log_context_bind` that gave `token`."""
    _context.reset(token)


@contextmanager
def log_context(**values: str | int | None) -> Iterator[None]:
    """`with log_context(consultation_id=str(consultation.pk)):` binds for the block."""
    token = log_context_bind(**values)
    try:
        yield
    finally:
        log_context_reset(token)


def log_context_current() -> Mapping[str, str | int]:
    return _context.get()


class ContextFilter(logging.Filter):
    """Copies the bound context onto every record; a field passed in `extra` wins."""

    def filter(self, record: logging.LogRecord) -> bool:
        bound = _context.get()
        for name in FIELDS:
            if not hasattr(record, name):
                setattr(record, name, bound.get(name))
        return True


_REDACTIONS: Final = (
    (re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"), "[email]"),
    # IBANs, compact or in groups of four (DE89 3704 0044 0532 0130 00).
    (re.compile(r"\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]{4}){2,7}(?:[ ]?[A-Z0-9]{1,3})?\b"), "[iban]"),
    (re.compile(r"\b(?:\d{1,3}\.){3}\d{1,3}\b"), "[ip]"),
    (re.compile(r"(?i)\bbearer\s+[A-Za-z0-9._~+/=-]+"), "Bearer [redacted]"),
    (
        re.compile(
            r"(?i)\b(password|passwd|secret|token|api_key|apikey)([\"']?\s*[:=]\s*[\"']?)[^\s\"',;&]+"
        ),
        r"\1\2[redacted]",
    ),
)


def redact(text: str) -> str:
    """`text` without e-mail addresses, IBANs, IPv4 addresses and token-like values."""
    for pattern, replacement in _REDACTIONS:
        text = pattern.sub(replacement, text)
    return text


class JsonFormatter(_JsonFormatter):
    """One JSON object per line: timestamp (UTC, ISO 8601), level, logger, message, the
    bound context (fields that are unset are left out) and any `extra` fields."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("fmt", "%(levelname)s %(name)s %(message)s")
        kwargs.setdefault("rename_fields", {"levelname": "level", "name": "logger"})
        kwargs.setdefault("timestamp", True)
        super().__init__(*args, **kwargs)

    def process_log_record(self, log_data: dict[str, Any]) -> dict[str, Any]:
        # uvicorn's `color_message` repeats the message with terminal colour codes.
        return {
            key: value
            for key, value in log_data.items()
            if value is not None and key != "color_message"
        }

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


class TextFormatter(logging.Formatter):
    """`2026-01-05 08:00:00,123 INFO logger [request_id=… user_id=…] message`."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s%(context)s %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        pairs = [
            f"{name}={getattr(record, name)}" for name in FIELDS if getattr(record, name, None)
        ]
        record.context = f" [{' '.join(pairs)}]" if pairs else ""
        return redact(super().format(record))


def logging_config(*, fmt: LogFormat, level: str) -> dict[str, Any]:
    """Django's LOGGING for `fmt`. In JSON mode uvicorn's own lines go through the same
    handler and its access log is off: the ops middleware writes one line per request
    (URL name, status, duration, request id; no address, no query string)."""
    config: dict[str, Any] = {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"context": {"()": "sprechzeit.core.logs.ContextFilter"}},
        "formatters": {
            "json": {"()": "sprechzeit.core.logs.JsonFormatter"},
            "text": {"()": "sprechzeit.core.logs.TextFormatter"},
        },
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": fmt,
                "filters": ["context"],
            }
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {},
    }
    if fmt == "json":
        config["loggers"] = {
            "uvicorn": {"handlers": ["console"], "level": "INFO", "propagate": False},
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
        }
    return config


_task_tokens: dict[str, Token[Mapping[str, str | int]]] = {}


def _task_started(task_id: str | None = None, task: Any = None, **_: Any) -> None:
    if task_id is not None:
        _task_tokens[task_id] = log_context_bind(task=getattr(task, "name", None), task_id=task_id)


def _task_finished(task_id: str | None = None, **_: Any) -> None:
    token = _task_tokens.pop(task_id, None) if task_id is not None else None
    if token is not None:
        # ValueError: bound in another context (a pool that runs prerun and postrun
        # apart); the next task's bind replaces the stale values anyway.
        with suppress(ValueError):
            log_context_reset(token)


def celery_context_connect() -> None:
    """Bind `task` and `task_id` for every Celery task run in this process."""
    task_prerun.connect(_task_started, weak=False)
    task_postrun.connect(_task_finished, weak=False)
