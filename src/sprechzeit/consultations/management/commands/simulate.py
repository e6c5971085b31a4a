"""`sprechzeit simulate --platforms N --partners N --clients N --days N --seed S`."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from sprechzeit.consultations.simulation import simulate


class Command(BaseCommand):
    help = "Simuliert Plattformbetrieb mit den echten Diensten (deterministisch je Seed)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--platforms", type=int, default=2)
        parser.add_argument("--partners", type=int, default=5)
        parser.add_argument("--clients", type=int, default=20)
        parser.add_argument("--days", type=int, default=14)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--prefix", default="", help="Kürzel-Präfix der Plattformen.")

    def handle(self, *args: Any, **options: Any) -> None:
        for name in ("platforms", "partners", "clients", "days"):
            if options[name] < 1 or options[name] > 10_000:
                raise CommandError(f"--{name} must be between 1 and 10000")
        report = simulate(
            platforms=options["platforms"],
            partners=options["partners"],
            clients=options["clients"],
            days=options["days"],
            seed=options["seed"],
            prefix=options["prefix"],
        )
        self.stdout.write(report.render())
        if not report.ledger_ok:
            raise CommandError("ledger check failed after the simulation")
