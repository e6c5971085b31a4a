"""Values from outside (query strings, form fields, provider payloads) parsed into bounded,
typed values, with one German message per refusal.

Every parser here refuses with `InvalidInput` (a `DomainError`, HTTP 400), so a view only
calls it: the one door (`site.middleware.DomainErrorMiddleware`, the API's handler) turns
the refusal into a 4xx page or JSON answer, and nothing has been stored. A form uses the
form fields below, which turn the same refusal into a field error.

What they refuse, and why a plain `int()` or `Decimal()` is not enough:

- ids: only ASCII digits, at most 19, at most 2**63 - 1 (`"²".isdigit()` is true but
  `int("²")` fails; `int()` of 5,000 digits raises; a larger id overflows the column);
- amounts: digits with one decimal comma or point, finite, within `money.MAX_MINOR`, no
  more decimals than the currency has (`Decimal` accepts NaN, sNaN, Infinity and
  1e999999, and each of them fails later in arithmetic, `int()` or the database);
- minor units in provider payloads: an int, not a bool, not a string, within bounds;
- e-mail addresses: at most 254 characters (RFC 5321 and the column; Django's form field
  allows 320).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, ClassVar, Final

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from sprechzeit.core.errors import DomainError
from sprechzeit.core.money import MAX_MINOR, MINOR_UNITS, Money

MAX_ID: Final = 2**63 - 1  # BigAutoField
EMAIL_MAX_LENGTH: Final = 254
_ID: Final = re.compile(r"[0-9]{1,19}")
# Major units as people type them: "12", "12,5", "12.50", "1.234,50", "€ 12,50".
_AMOUNT: Final = re.compile(r"[0-9]{1,13}(?:\.[0-9]{1,12})?")


class InvalidInput(DomainError):
    code: ClassVar[str] = "invalid_input"
    http_status: ClassVar[int] = 400
    default_message: ClassVar[str | Promise] = _("Diese Eingabe können wir nicht verarbeiten.")


def id_parse(raw: object, *, field: str) -> int:
    """A database id from a query string or form field (InvalidInput otherwise)."""
    text = raw.strip() if isinstance(raw, str) else ""
    if not _ID.fullmatch(text) or not 1 <= int(text) <= MAX_ID:
        raise InvalidInput(_("Ungültige Kennung."), field=field)
    return int(text)


def ids_parse(values: Iterable[object], *, field: str, limit: int) -> list[int]:
    """The first `limit` ids of a repeated parameter; each must be valid."""
    return [id_parse(value, field=field) for value in list(values)[:limit]]


def amount_parse(
    raw: object, *, currency: str, field: str, message: str | Promise | None = None
) -> Money:
    """An amount a person typed in major units ("12,50") as Money (InvalidInput otherwise)."""
    refused = InvalidInput(message or _("Bitte einen Betrag wie 12,50 eingeben."), field=field)
    if not isinstance(raw, str) or len(raw) > 40:
        raise refused
    text = raw.strip().replace("€", "").replace(" ", "").replace("\xa0", "")
    if "," in text:
        text = text.replace(".", "").replace(",", ".")
    if not _AMOUNT.fullmatch(text):
        raise refused
    decimals = len(text.partition(".")[2])
    if decimals > MINOR_UNITS.get(currency, 2):
        raise InvalidInput(_("Höchstens zwei Nachkommastellen."), field=field)
    try:
        return Money.from_decimal(text, currency)
    except DomainError:
        raise refused from None


def minor_parse(raw: object, *, field: str) -> int:
    """Minor units from a provider's JSON: an int (not a bool or string) within bounds."""
    if isinstance(raw, bool) or not isinstance(raw, int) or abs(raw) > MAX_MINOR:
        raise InvalidInput(_("Ungültiger Betrag."), field=field)
    return raw


def form_status(form: forms.BaseForm) -> int:
    """The status of a page that shows `form`: 400 once a field's value was refused (a
    malformed or hostile input is a 4xx like every other, and the page still shows the
    field's error). A refusal of the whole form (wrong password) keeps 200: its input was
    well-formed."""
    refused_fields = [name for name in form.errors if name != NON_FIELD_ERRORS]
    return 400 if form.is_bound and refused_fields else 200


# --- form fields -------------------------------------------------------------------------


class AmountFormField(forms.CharField):
    """A money input in major units; its cleaned value is `Money` in `currency`."""

    def __init__(self, *, currency: str, **kwargs: Any) -> None:
        self.currency = currency
        kwargs.setdefault("max_length", 20)
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "decimal"}))
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> Any:
        text = super().to_python(value)
        if text in self.empty_values:
            return None
        try:
            return amount_parse(text, currency=self.currency, field=str(self.label or "amount"))
        except InvalidInput as refused:
            raise ValidationError(str(refused.message), code=refused.code) from None


class EmailFormField(forms.EmailField):
    """An e-mail field that refuses more than 254 characters before anything looks it up
    or stores it (the column's length; PostgreSQL would refuse the insert with a 500)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", EMAIL_MAX_LENGTH)
        super().__init__(**kwargs)
