"""The base of every typed domain error.

Each app's `errors.py` subclasses `DomainError` with a stable `code` and the HTTP status it
answers with (`http_status`). Two handlers turn it into a response, and no edge needs its
own `except DomainError`: the JSON API (`api.handlers`) answers `{"code", "message",
"fields"}`, pages (`site.middleware.DomainErrorMiddleware`) show the message on an error
page, or back on the page a form action declared with `core.http.back_on_domain_error`.

Statuses: 400 a request the rules refuse (the default), 403 the person may not do this,
404 nothing of that name (for this person), 409 it conflicts with the current state,
422 data that cannot be turned into a valid document, 429 too many attempts, 503 a
service we depend on is busy or away (try again later). Never 500: that is for bugs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from django.utils.functional import Promise

HTTP_STATUSES = frozenset({400, 403, 404, 409, 422, 429, 503})


class DomainError(Exception):
    code: ClassVar[str] = "domain_error"
    http_status: ClassVar[int] = 400
    # A plain or lazily translated string; rendered in the active language when shown.
    default_message: ClassVar[str | Promise] = "The request could not be carried out."

    def __init__(self, message: str | Promise | None = None, **fields: Any) -> None:
        self.message: str | Promise = message or self.default_message
        self.fields: Mapping[str, Any] = fields
        super().__init__(str(self.message))

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": str(self.message), "fields": dict(self.fields)}


class CurrencyMismatch(DomainError):
    code: ClassVar[str] = "currency_mismatch"
    default_message: ClassVar[str | Promise] = "Amounts in different currencies cannot be combined."


class LossyCalculation(DomainError):
    code: ClassVar[str] = "lossy_calculation"
    default_message: ClassVar[str | Promise] = (
        "Money cannot be combined with a float; use an integer, Decimal or Fraction."
    )


class InvalidAmount(DomainError):
    code: ClassVar[str] = "invalid_amount"
    default_message: ClassVar[str | Promise] = "Not a finite amount within the supported range."
