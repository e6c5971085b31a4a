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


@register.filter(name="cents")
def cents(value: int | None, currency: str = "EUR") -> str:
    """An amount in minor units (an integer column such as amount_minor) as money."""
    if value is None:
        return ""
    return money(Money(int(value), currency or "EUR"))


@register.filter(name="duration")
def duration(seconds: int | None) -> str:
    """Seconds as h:mm:ss or m:ss (150 → "2:30")."""
    if seconds is None:
        return ""
    hours, rest = divmod(int(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
