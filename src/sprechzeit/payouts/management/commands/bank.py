"""`sprechzeit bank import FILE [--config ID]`: one bank statement (CAMT.053 or MT940)
for top-ups, returned debits and payouts, or a pain.002 status report (rejected
payouts); what nobody recognises waits for review."""

from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from sprechzeit.core.errors import DomainError
from sprechzeit.payments.models import ProviderConfig
from sprechzeit.payouts.bank import bank_statement_import


class Command(BaseCommand):
    help = "Bank statements: import one file for top-ups and payouts."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        one = sub.add_parser(
            "import", help="Import a CAMT.053 or MT940 statement (or a pain.002) once."
        )
        one.add_argument("file", type=Path)
        one.add_argument(
            "--config",
            type=int,
            help="Bank transfer configuration id (default: by the IBAN in the file).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        config = None
        if options["config"] is not None:
            config = ProviderConfig.objects.filter(pk=options["config"]).first()
            if config is None:
                raise CommandError(f"bank transfer configuration {options['config']} not found")
        try:
            result = bank_statement_import(
                content=path.read_bytes(), file_name=path.name, config=config
            )
        except DomainError as exc:
            raise CommandError(f"{exc.code}: {exc.message}") from exc
        self.stdout.write(
            f"{path.name}: {result.new} new, {result.known} already known"
            + (" (file imported before)" if result.duplicate_file else "")
            + f"; top-ups credited {result.topups_credited}, returned {result.topups_returned};"
            f" payouts confirmed {len(result.payouts_confirmed)},"
            f" returned {len(result.payouts_returned)}; review {result.review}"
        )
        for unmatched in result.payouts_unmatched:
            self.stdout.write(f"  rejection matches no payout in transit: {unmatched}")
