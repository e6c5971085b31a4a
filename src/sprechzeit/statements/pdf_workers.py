"""The worker side of `statements_render_pdfs` across processes.

A spawned worker imports this module before Django is set up (to find its start
function), so nothing here imports models at module level: `worker_start` sets Django
up and points the default database at the parent's (the parent may run on a database
whose name was changed at run time: the tests' `test_…`, the benchmark's scratch one).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sprechzeit.statements.services.pdf import PdfRun


def worker_start(database_name: str) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sprechzeit.config.settings")
    import django  # noqa: PLC0415 - settings module first
    from django.conf import settings  # noqa: PLC0415

    settings.DATABASES["default"]["NAME"] = database_name
    django.setup()


def render_chunk(ids: list[int]) -> PdfRun:
    from django.db import connections  # noqa: PLC0415 - after worker_start

    from sprechzeit.statements.services.pdf import statements_render_pdf_chunk  # noqa: PLC0415

    try:
        return statements_render_pdf_chunk(ids=ids)
    finally:
        # Hand the connection back (to the pool, where there is one) between chunks.
        connections.close_all()
