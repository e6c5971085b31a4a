"""`sprechzeit accounting datev --entity ID --period P --out DIR [--consultant N --client N]`,
`sprechzeit accounting vat --entity ID --period P`, `sprechzeit accounting
vat-corrections --entity ID --period YYYY-MM` (§ 17 UStG, before `vat` of that month)
and `sprechzeit accounting invoices --month YYYY-MM` (the business clients' invoices). P is a month (2026-10) or a
quarter (2026-Q4)."""

from __future__ import annotations

import re
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from sprechzeit.accounting import errors, services
from sprechzeit.accounting.invoices import client_invoices_issue
from sprechzeit.accounting.vat import vat_return
from sprechzeit.accounting.vat_corrections import vat_corrections_book
from sprechzeit.consultations.records import month_bounds
from sprechzeit.core import clock
from sprechzeit.platforms.models import LegalEntity

PERIOD_HELP = "2026-10 (month) or 2026-Q4 (quarter)"


class Command(BaseCommand):
    help = "Accounting: the DATEV posting batch and the VAT return figures of a period."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        datev = sub.add_parser("datev", help="Write the DATEV posting batch (EXTF) of a period.")
        datev.add_argument("--entity", type=int, required=True, help="Legal entity id")
        datev.add_argument("--period", required=True, help=PERIOD_HELP)
        datev.add_argument("--out", required=True, type=Path)
        datev.add_argument("--consultant", type=int, help="DATEV consultant number")
        datev.add_argument("--client", type=int, help="DATEV client number")
        vat = sub.add_parser("vat", help="The VAT advance return figures of a period.")
        vat.add_argument("--entity", type=int, required=True, help="Legal entity id")
        vat.add_argument("--period", required=True, help=PERIOD_HELP)
        corrections = sub.add_parser(
            "vat-corrections", help="Book the § 17 UStG corrections of an ended month."
        )
        corrections.add_argument("--entity", type=int, required=True, help="Legal entity id")
        corrections.add_argument("--period", required=True, help="2026-10")
        invoices = sub.add_parser("invoices", help="Issue the business clients' invoices.")
        invoices.add_argument("--month", required=True, help="2026-10")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "invoices":
            self._invoices(options["month"])
            return
        entity = LegalEntity.objects.filter(pk=options["entity"]).first()
        if entity is None:
            raise CommandError(f"legal entity {options['entity']} not found")
        try:
            if options["action"] == "vat-corrections":
                period = services.accounting_period(options["period"])
                if clock.now() < period.bounds()[1]:
                    raise CommandError(f"{period.label} has not ended")
                for item in vat_corrections_book(legal_entity=entity, period=period):
                    self.stdout.write(
                        f"{item.platform.slug} {item.kind}: basis {item.basis_minor}, "
                        f"VAT {item.vat_minor} booked back"
                    )
            elif options["action"] == "datev":
                path = services.datev_export(
                    legal_entity=entity,
                    period=options["period"],
                    out=options["out"],
                    consultant_number=options["consultant"],
                    client_number=options["client"],
                )
                rows = path.read_bytes().count(b"\r\n") - 2
                self.stdout.write(f"{path} ({rows} bookings)")
            else:
                figures = vat_return(legal_entity=entity, period=options["period"])
                for line in figures.lines():
                    self.stdout.write(line)
        except errors.AccountingError as exc:
            raise CommandError(f"{exc.code}: {exc.message}") from exc

    def _invoices(self, month: str) -> None:
        if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", month):
            raise CommandError("--month must be YYYY-MM")
        _start, end = month_bounds(month)
        if clock.now() < end:
            raise CommandError(f"{month} has not ended")
        run = client_invoices_issue(month=month)
        self.stdout.write(
            f"{len(run.issued)} invoice(s) issued, {run.existing} already issued, "
            f"{len(run.held)} held"
        )
        for client_id, reason in sorted(run.held.items()):
            self.stdout.write(f"  client {client_id}: {reason}")
