"""`sprechzeit dbroles --app ROLE --owner ROLE`: print the application role's grants.

Run the printed SQL as the owner role after every `sprechzeit migrate` (docs/security.md,
"Database roles"). It prints only; nothing is executed.
"""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from sprechzeit.ledger.dbroles import app_role_grants


class Command(BaseCommand):
    help = "Print the SQL that gives the application's database role its privileges."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--app", default="sprechzeit_app", help="the application's role")
        parser.add_argument("--owner", default="sprechzeit_owner", help="the owner/migration role")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            statements = app_role_grants(app=options["app"], owner=options["owner"])
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        for statement in statements:
            self.stdout.write(f"{statement};")
