"""`sprechzeit consultations_reap`: close orphaned consultations now (what beat does
every minute)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from sprechzeit.consultations.services import consultations_reap


class Command(BaseCommand):
    help = "Schließt verwaiste Anfragen und Beratungen und rechnet sie ab."

    def handle(self, *args: Any, **options: Any) -> None:
        result = consultations_reap()
        self.stdout.write(f"missed={result.missed} ended={result.ended} settled={result.settled}")
