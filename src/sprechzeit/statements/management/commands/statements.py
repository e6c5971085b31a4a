"""`sprechzeit statements close --period P | close-due | export --period P --out DIR |
render-pdfs [--processes N] | release-held | cancel --id N`. P is a month (2026-10), a quarter (2026-Q3)
or a half month (2026-10-H1, 2026-10-H2), matching the entities' statement period."""

from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from sprechzeit.statements import errors, services
from sprechzeit.statements.models import CloseRun, Statement
from sprechzeit.statements.periods import period_parse
from sprechzeit.statements.selectors import entities_with_cadence, statement_xrechnung

PERIOD_HELP = "2026-10 (month), 2026-Q3 (quarter) or 2026-10-H1 / 2026-10-H2 (half month)"


class Command(BaseCommand):
    help = "Credit notes: close a period, export its documents, render PDFs, release held."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        close = sub.add_parser("close", help="Close a period (resumable).")
        close.add_argument("--period", required=True, help=PERIOD_HELP)
        close.add_argument(
            "--late-override",
            default="",
            metavar="REASON",
            help="Issue although the period ended more than six months ago (§ 14 Abs. 2 UStG);"
            " the reason is kept in each note's data.",
        )
        sub.add_parser("close-due", help="Close the latest ended period of every cadence in use.")
        export = sub.add_parser("export", help="Write every document of a period (PDF, XML).")
        export.add_argument("--period", required=True, help=PERIOD_HELP)
        export.add_argument("--out", required=True, type=Path)
        render = sub.add_parser("render-pdfs", help="Render missing PDFs of issued documents.")
        render.add_argument(
            "--processes",
            type=int,
            default=None,
            help="Worker processes (default: one per CPU; 1 renders in this process).",
        )
        release = sub.add_parser(
            "release-held", help="Issue held statements whose data is complete."
        )
        release.add_argument("--late-override", default="", metavar="REASON")
        cancel = sub.add_parser("cancel", help="Cancel an issued credit note (384) and reissue.")
        cancel.add_argument("--id", type=int, required=True, help="Statement id")
        cancel.add_argument("--no-reissue", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            if options["action"] == "close":
                self._close(options["period"], options["late_override"])
            elif options["action"] == "close-due":
                runs = services.statements_close_due(progress=self._progress)
                for run in runs:
                    self._report(run)
                if not runs:
                    self.stdout.write("Nothing due: every ended period is closed.")
            elif options["action"] == "export":
                self._export(options["period"], options["out"])
            elif options["action"] == "render-pdfs":
                self._render_pdfs(options["processes"])
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
                released = services.statements_release_held(late_override=options["late_override"])
                issued = [s for s in released if s.status == Statement.Status.ISSUED]
                self.stdout.write(f"{len(issued)} of {len(released)} held statement(s) issued.")
        except errors.StatementError as exc:
            raise CommandError(f"{exc.code}: {exc.message}") from exc

    def _progress(self, done: int, total: int) -> None:
        self.stdout.write(f"  {done}/{total}")

    def _report(self, run: CloseRun) -> None:
        self.stdout.write(
            f"{run.period_label}: {run.issued} issued, {run.held} held of {run.total}."
        )

    def _close(self, period: str, late_override: str) -> None:
        self._report(
            services.statements_close(
                period=period, progress=self._progress, late_override=late_override
            )
        )

    def _render_pdfs(self, processes: int | None) -> None:
        run = services.statements_render_pdfs(processes=processes, progress=self._progress)
        self.stdout.write(f"{run.rendered} PDF(s) rendered ({run.processes} process(es)).")
        if run.failed:
            for statement_id, error in sorted(run.failed.items()):
                self.stderr.write(f"statement {statement_id}: {error}")
            raise CommandError(f"{len(run.failed)} PDF(s) failed; run render-pdfs again.")

    def _export(self, period: str, out: Path) -> None:
        parsed = period_parse(period)
        documents = Statement.objects.filter(
            period_start=parsed.start,
            period_end=parsed.end,
            status__in=[Statement.Status.ISSUED, Statement.Status.CANCELLED],
        ).order_by("legal_entity_id", "number")
        if not documents.exists() and not entities_with_cadence(cadence=parsed.cadence):
            # Not merely empty: no entity bills in this rhythm (a quarter for monthly ones).
            raise errors.PeriodCadenceMismatch(period=parsed.label)
        out.mkdir(parents=True, exist_ok=True)
        count = 0
        for statement in documents:
            statement = services.statement_render_pdf(statement_id=statement.pk)
            stem = f"{statement.legal_entity_id}_{statement.number}"
            (out / f"{stem}.xml").write_bytes(bytes(statement.xml or b""))
            (out / f"{stem}_xrechnung.xml").write_bytes(statement_xrechnung(statement=statement))
            (out / f"{stem}.pdf").write_bytes(bytes(statement.pdf or b""))
            count += 1
        self.stdout.write(f"{count} document(s) written to {out}.")
