"""Fill missing msgstr entries of a .po catalogue from a JSON glossary {msgid: msgstr}.

Usage: python scripts/po_fill.py src/sprechzeit/locale/en/LC_MESSAGES/django.po glossary.json
Prints the msgids still untranslated, so `make messages` shows what is left to translate.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po


def main() -> int:
    po_path, glossary_path = Path(sys.argv[1]), Path(sys.argv[2])
    glossary: dict[str, str] = json.loads(glossary_path.read_text(encoding="utf-8"))
    with po_path.open("rb") as fh:
        catalog = read_po(fh)
    missing = []
    for message in catalog:
        if message.id and message.fuzzy:
            # msgmerge's guesses from similar strings are wrong more often than not.
            message.string = ""
            message.flags.discard("fuzzy")
        if not message.id or message.string:
            continue
        key = message.id if isinstance(message.id, str) else message.id[0]
        if key in glossary:
            message.string = glossary[key]
            message.flags.discard("fuzzy")
        else:
            missing.append(key)
    with po_path.open("wb") as fh:
        write_po(fh, catalog, width=100)
    for key in missing:
        print(f"untranslated: {key!r}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
