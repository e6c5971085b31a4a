from __future__ import annotations

from babel.numbers import format_currency
from django import template
from django.utils import translation

from sprechzeit.core.money import Money

register = template.Library()

_LOCALES = {"de": "de_DE", "en": "en_GB"}


@register.filter(name="money")
def money(value: Money | None) -> str:
    """12.34 EUR as "12,34 €" (German) or "€12.34" (English), by the active language."""
    if value is None:
        return ""
    locale = _LOCALES.get((translation.get_language() or "de")[:2], "de_DE")
    return str(format_currency(value.amount, value.currency, locale=locale))
