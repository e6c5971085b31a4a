"""The `sprechzeit` command: Django's manage.py plus the project's own commands.

`sprechzeit demo` seeds and serves the embedded demo; `sprechzeit ledger check` and every
other Django management command work the same way (`sprechzeit help` lists them).
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sprechzeit.config.settings")
    if len(args) > 1 and args[1] == "demo":
        # The demo runs without secrets and with console e-mail; never a production mode.
        os.environ.setdefault("SPRECHZEIT_MODE", "demo")
    from django.core.management import execute_from_command_line  # noqa: PLC0415 - env first

    execute_from_command_line(args)


if __name__ == "__main__":
    main()
