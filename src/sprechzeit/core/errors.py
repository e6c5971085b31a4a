"""The base of every typed domain error.

Each app's `errors.py` subclasses `DomainError` with a stable `code`; the edges map it to
`{"code", "message", "fields"}` (API) or to a friendly message (pages).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from django.utils.functional import Promise


class DomainError(Exception):
    code: ClassVar[str] = "domain_error"
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
