"""Fill the msgstr entries of a .po catalogue from a JSON glossary; fail if any stay empty.

Usage: python scripts/po_fill.py src/sprechzeit/locale/en/LC_MESSAGES/django.po glossary.json

The glossary is one JSON object, German msgid -> English, with four kinds of keys:

    "Abmelden": "Log out"                                  msgid
    "plural\\u0004Berater": "Advisors"                      msgctxt + U+0004 + msgid
    "%(counter)s Beratung": ["%(counter)s consultation",    msgid (singular) of a message
                             "%(counter)s consultations"]   with msgid_plural: one string
                                                            per plural form (English: 2)
    "ctx\\u0004%(counter)s Berater gefunden": [..., ...]    both

A context key is built as gettext builds it: the msgctxt, the control character U+0004, the
msgid; `pgettext("plural", "Berater")` and `{% translate "Berater" context "plural" %}` look up
"plural\\u0004Berater". JSON files write the separator as the escape \\u0004.

The glossary wins: a msgstr that differs from it is overwritten, and fuzzy entries
(msgmerge's guesses from similar strings) are emptied before filling. Every message the
glossary does not cover is printed, and the exit status is then 1, so `make messages` stops
before compiling a catalogue that would show German text on English pages. A glossary value
of the wrong shape (a string for a plural message, a list of the wrong length) exits 2.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from babel.messages.catalog import Message
from babel.messages.pofile import read_po, write_po

CONTEXT_SEPARATOR = "\x04"

Translation = str | list[str]


def glossary_key(message: Message) -> str:
    """The glossary key of a message: its (singular) msgid, prefixed by its context."""
    msgid = message.id if isinstance(message.id, str) else message.id[0]
    if message.context:
        return f"{message.context}{CONTEXT_SEPARATOR}{msgid}"
    return msgid


def printable(key: str) -> str:
    """A key as it is written in the JSON file, so it can be copied into the glossary."""
    return json.dumps(key, ensure_ascii=False)


def is_translated(message: Message) -> bool:
    if isinstance(message.string, str):
        return bool(message.string)
    return all(message.string)


def shape_error(message: Message, value: object, num_plurals: int) -> str | None:
    """Why `value` cannot be this message's translation, or None if it can."""
    if message.pluralizable:
        if not (
            isinstance(value, list)
            and len(value) == num_plurals
            and all(isinstance(form, str) and form for form in value)
        ):
            return f"needs a list of {num_plurals} non-empty strings (one per plural form)"
    elif not (isinstance(value, str) and value):
        return "needs a non-empty string (the message has no plural)"
    return None


def main() -> int:
    po_path, glossary_path = Path(sys.argv[1]), Path(sys.argv[2])
    glossary: dict[str, Translation] = json.loads(glossary_path.read_text(encoding="utf-8"))
    with po_path.open("rb") as fh:
        catalog = read_po(fh)
    num_plurals = catalog.num_plurals
    missing: list[Message] = []
    malformed: list[str] = []
    used: set[str] = set()
    for message in catalog:
        if not message.id:
            continue  # the header
        if message.fuzzy:
            message.string = ("",) * num_plurals if message.pluralizable else ""
            message.flags.discard("fuzzy")
            message.previous_id = []  # the "#| msgid" of the guess
        key = glossary_key(message)
        if key not in glossary:
            if not is_translated(message):
                missing.append(message)
            continue
        used.add(key)
        value = glossary[key]
        error = shape_error(message, value, num_plurals)
        if error is not None:
            malformed.append(f"glossary: {printable(key)} {error}")
            continue
        message.string = tuple(value) if isinstance(value, list) else value
    with po_path.open("wb") as fh:
        write_po(fh, catalog, width=100)

    unused = sorted(set(glossary) - used)
    if unused:
        print(f"{len(unused)} glossary key(s) match no message in {po_path}:")
        for key in unused:
            print(f"  unused: {printable(key)}")
    for line in malformed:
        print(line, file=sys.stderr)
    for message in missing:
        kind = "plural, " if message.pluralizable else ""
        where = ", ".join(f"{path}:{line}" for path, line in message.locations[:3])
        print(f"untranslated ({kind}{where}): {printable(glossary_key(message))}", file=sys.stderr)
    if malformed:
        return 2
    if missing:
        print(
            f"\n{len(missing)} message(s) of {po_path} have no translation. Add them to "
            f"{glossary_path} (format: see scripts/po_fill.py) and run `make messages` again.",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
