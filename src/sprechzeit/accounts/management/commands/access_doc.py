"""`sprechzeit access_doc`: print docs/security.md's roles section as rendered from the
access table; `--write` puts it into the document (between its markers)."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from sprechzeit.accounts import access_doc


class Command(BaseCommand):
    help = "Render the roles and access table into docs/security.md (--write) or print it."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--write", action="store_true", help="update docs/security.md")

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["write"]:
            self.stdout.write(access_doc.render())
            return
        changed = access_doc.document_write()
        self.stdout.write(f"{access_doc.DOC}: {'updated' if changed else 'up to date'}")
