from __future__ import annotations

from django import template
from django.utils import translation

from sprechzeit.core.money import Money, money_text

register = template.Library()


@register.filter(name="money")
def money(value: Money | None) -> str:
    """12.34 EUR as "12,34 €" (German) or "€12.34" (English), by the active language."""
    if value is None:
        return ""
    return money_text(value, translation.get_language())


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
