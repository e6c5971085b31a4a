"""`sprechzeit consultations_reap`: close orphaned consultations now (what beat does
every 15 seconds), cutting off overdue phone calls first."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from sprechzeit.consultations.services.reaper import consultations_reap
from sprechzeit.consultations.telephony.cutoff import phone_calls_reap


class Command(BaseCommand):
    help = "Schließt verwaiste Anfragen und Beratungen und rechnet sie ab."

    def handle(self, *args: Any, **options: Any) -> None:
        hung_up = phone_calls_reap()
        result = consultations_reap()
        self.stdout.write(
            f"missed={result.missed} ended={result.ended} settled={result.settled} "
            f"hung_up={hung_up}"
        )
