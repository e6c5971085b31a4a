"""Row locks of the statements app, each named for the race it prevents. Every lock is
taken inside the caller's transaction and held until it commits."""

from __future__ import annotations

from sprechzeit.statements.models import NumberCounter


def numbers_take_against_duplicates(*, legal_entity_id: int, year: int, count: int) -> int:
    """Reserve `count` consecutive numbers of the series (issuing entity × year) under
    the counter's row lock (FOR UPDATE) and return the first.

    Race it prevents: two issuers of one series (a close and a cancellation, two close
    runs) both reading the same last number and giving two documents one number, or
    skipping one. They queue here, so numbers are unique and gap-free. The caller holds
    the transaction and uses every number it took; a rollback gives them all back.
    """
    NumberCounter.objects.get_or_create(legal_entity_id=legal_entity_id, year=year)
    counter = NumberCounter.objects.select_for_update().get(
        legal_entity_id=legal_entity_id, year=year
    )
    first = counter.last + 1
    counter.last += count
    counter.save(update_fields=["last"])
    return first
