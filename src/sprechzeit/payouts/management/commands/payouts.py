"""`sprechzeit payouts run --out DIR | import-camt FILE`."""

from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from sprechzeit.payouts import errors, lines, services
from sprechzeit.platforms.models import LegalEntity


class Command(BaseCommand):
    help = "Payouts: create payout runs and write their SEPA files; import a camt.053."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        run = sub.add_parser("run", help="Pay every partner due (one file per entity).")
        run.add_argument("--out", required=True, type=Path)
        camt = sub.add_parser("import-camt", help="Confirm or return payouts from a camt.053.")
        camt.add_argument("file", type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "run":
            self._run(options["out"])
        else:
            try:
                result = lines.payouts_import_camt(xml=options["file"].read_bytes())
            except errors.PayoutError as exc:
                raise CommandError(f"{exc.code}: {exc.message}") from exc
            self.stdout.write(
                f"confirmed {len(result.confirmed)}, returned {len(result.returned)},"
                f" unmatched {len(result.unmatched)}, already imported {result.repeated}"
            )
            for key in result.unmatched:
                self.stdout.write(f"  unmatched: {key}")

    def _run(self, out: Path) -> None:
        out.mkdir(parents=True, exist_ok=True)
        for entity in LegalEntity.objects.order_by("pk"):
            try:
                run = services.payout_run_create(legal_entity=entity)
            except errors.NothingToPay as exc:
                self.stdout.write(
                    f"{entity}: nothing to pay ({len(exc.fields.get('skipped', []))} skipped)"
                )
                continue
            except errors.DebtorAccountMissing:
                self.stdout.write(f"{entity}: no debtor IBAN")
                continue
            path = out / f"{run.message_id}.xml"
            path.write_bytes(bytes(run.file or b""))
            self.stdout.write(
                f"{entity}: {run.count} payout(s), {run.total_minor} cent, {len(run.skipped)} skipped → {path}"
            )
