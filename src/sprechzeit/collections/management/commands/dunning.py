"""`sprechzeit dunning run | check`."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from sprechzeit.collections.errors import DunningMisconfigured
from sprechzeit.collections.services.dunning import dunning_run, plans_check


class Command(BaseCommand):
    help = "Dunning: run (send due reminders, follow instalment plans, write off) or check plans."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("run", help="Advance every due dunning case; exit 1 if a plan is unsound.")
        sub.add_parser("check", help="Check every platform's dunning plan; exit 1 if unsound.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            if options["action"] == "check":
                plans_check()
                self.stdout.write("Dunning plans are sound.")
                return
            result = dunning_run()
        except DunningMisconfigured as exc:
            raise CommandError(f"dunning plan misconfigured: {exc.message}", returncode=1) from exc
        self.stdout.write(f"Dunning run: {result.render()}.")
