"""`sprechzeit simulate --platforms N --partners N --clients N --days N --seed S`: platform
life through the real services (`consultations.simulation`), then the partners' tax and
bank data (`demo.network`), so `statements close`, `statements export` and `payouts run`
have something to do. Runs only where the sandbox payment provider runs (demo and test
mode), and fails with a non-zero exit when it booked nothing."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from sprechzeit.consultations.errors import SimulationRefused
from sprechzeit.consultations.simulation import simulate
from sprechzeit.demo.network import simulation_tax_data


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
        prefix = options["prefix"] or f"sim{options['seed']}"
        try:
            report = simulate(
                platforms=options["platforms"],
                partners=options["partners"],
                clients=options["clients"],
                days=options["days"],
                seed=options["seed"],
                prefix=prefix,
            )
        except SimulationRefused as exc:
            raise CommandError(f"{exc.code}: {exc.message}") from exc
        self.stdout.write(report.render())
        if not report.ledger_ok:
            raise CommandError("ledger check failed after the simulation")
        if report.top_ups == 0 or report.charged_minor == 0:
            raise CommandError(
                "the simulation booked nothing "
                f"(top-ups {report.top_ups}, charged {report.charged_minor} ct, "
                f"outcomes {dict(report.outcomes)}): check the sandbox payment provider "
                "and the platforms' payment settings"
            )
        network = simulation_tax_data(
            prefix=prefix, partners=options["partners"], seed=options["seed"]
        )
        self.stdout.write(network.render())
