"""`sprechzeit statements close --period YYYY-MM | export --period YYYY-MM --out DIR |
render-pdfs | release-held`."""

from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from sprechzeit.statements import errors, selectors, services
from sprechzeit.statements.documents.cii import cii_xml
from sprechzeit.statements.models import Statement


class Command(BaseCommand):
    help = "Credit notes: close a period, export its documents, render PDFs, release held."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        close = sub.add_parser("close", help="Close a month (resumable).")
        close.add_argument("--period", required=True, help="YYYY-MM")
        export = sub.add_parser("export", help="Write every document of a period (PDF, XML).")
        export.add_argument("--period", required=True, help="YYYY-MM")
        export.add_argument("--out", required=True, type=Path)
        sub.add_parser("render-pdfs", help="Render missing PDFs of issued documents.")
        sub.add_parser("release-held", help="Issue held statements whose data is complete.")
        cancel = sub.add_parser("cancel", help="Cancel an issued credit note (384) and reissue.")
        cancel.add_argument("--id", type=int, required=True, help="Statement id")
        cancel.add_argument("--no-reissue", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            if options["action"] == "close":
                self._close(options["period"])
            elif options["action"] == "export":
                self._export(options["period"], options["out"])
            elif options["action"] == "render-pdfs":
                self._render_pdfs()
            elif options["action"] == "cancel":
                statement = Statement.objects.filter(pk=options["id"]).first()
                if statement is None:
                    raise CommandError(f"statement {options['id']} not found")
                cancellation, replacement = services.statement_cancel(
                    statement=statement, reissue=not options["no_reissue"]
                )
                self.stdout.write(
                    f"{statement.number} cancelled by {cancellation.number}"
                    + (f", reissued as {replacement.number}" if replacement else "")
                )
            else:
                released = services.statements_release_held()
                issued = [s for s in released if s.status == Statement.Status.ISSUED]
                self.stdout.write(f"{len(issued)} of {len(released)} held statement(s) issued.")
        except errors.StatementError as exc:
            raise CommandError(f"{exc.code}: {exc.message}") from exc

    def _close(self, period: str) -> None:
        def progress(done: int, total: int) -> None:
            self.stdout.write(f"  {done}/{total}")

        run = services.statements_close(period=period, progress=progress)
        self.stdout.write(
            f"{run.period_start:%Y-%m}: {run.issued} issued, {run.held} held of {run.total}."
        )

    def _render_pdfs(self) -> None:
        ids = Statement.objects.filter(
            pdf__isnull=True, status__in=[Statement.Status.ISSUED, Statement.Status.CANCELLED]
        ).values_list("pk", flat=True)
        count = 0
        for statement_id in list(ids):
            services.statement_render_pdf(statement_id=statement_id)
            count += 1
        self.stdout.write(f"{count} PDF(s) rendered.")

    def _export(self, period: str, out: Path) -> None:
        parsed = selectors.period_parse(period)
        out.mkdir(parents=True, exist_ok=True)
        documents = Statement.objects.filter(
            period_start=parsed.start,
            status__in=[Statement.Status.ISSUED, Statement.Status.CANCELLED],
        ).order_by("legal_entity_id", "number")
        count = 0
        for statement in documents:
            statement = services.statement_render_pdf(statement_id=statement.pk)
            stem = f"{statement.legal_entity_id}_{statement.number}"
            (out / f"{stem}.xml").write_bytes(bytes(statement.xml or b""))
            (out / f"{stem}_xrechnung.xml").write_bytes(
                cii_xml(statement.data, flavour="xrechnung")
            )
            (out / f"{stem}.pdf").write_bytes(bytes(statement.pdf or b""))
            count += 1
        self.stdout.write(f"{count} document(s) written to {out}.")
