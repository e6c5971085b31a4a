"""A writer of the DATEV posting batch file (EXTF "Buchungsstapel", header version 700,
data category 21, format version 13): pure functions from a header and rows to bytes.

The file: line 1 the header (31 fields), line 2 the column names, then one row per
booking with 125 fields; semicolons, CRLF, Windows-1252, text in double quotes (a quote
doubled), amounts with a decimal comma and no thousands separator, always positive with
the debit/credit mark "S"/"H" relative to the column Konto.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Final

from sprechzeit.accounting.columns import COLUMNS

ENCODING: Final = "cp1252"
TEXT_MAX: Final = 60
DOCUMENT_MAX: Final = 36
DESCRIPTION_MAX: Final = 30
# Belegfeld 1 allows letters, digits and these characters only.
DOCUMENT_CHARS: Final = frozenset("$&%*+-/.")


@dataclass(frozen=True, slots=True)
class Header:
    consultant_number: int
    client_number: int
    fiscal_year_start: date
    period_start: date
    period_end: date
    description: str
    created_at: datetime
    chart: str  # "SKR03" / "SKR04"
    account_length: int = 4


@dataclass(frozen=True, slots=True)
class Row:
    """One booking: `amount_minor` (> 0) moves from Konto (debit, "S") to Gegenkonto."""

    amount_minor: int
    account: int
    contra_account: int
    day: date
    document: str
    text: str
    bu_key: str = ""
    side: str = "S"


def _text(value: str, limit: int | None = None) -> str:
    cleaned = " ".join(value.split())
    if limit is not None:
        cleaned = cleaned[:limit]
    # What Windows-1252 cannot hold becomes "?" (DATEV reads nothing else).
    cleaned = cleaned.encode(ENCODING, errors="replace").decode(ENCODING)
    return '"' + cleaned.replace('"', '""') + '"'


def amount_text(minor: int) -> str:
    """12345 → '123,45' (DATEV: positive, decimal comma, no thousands separator)."""
    if minor <= 0:
        raise ValueError("DATEV amounts are positive; the side goes into S/H.")
    return f"{minor // 100},{minor % 100:02d}"


def document_text(value: str) -> str:
    """Belegfeld 1: the allowed characters only, at most 36."""
    kept = "".join(c for c in value if (c.isascii() and c.isalnum()) or c in DOCUMENT_CHARS)
    return kept[:DOCUMENT_MAX]


def header_line(header: Header) -> str:
    fields = [
        '"EXTF"',
        "700",
        "21",
        '"Buchungsstapel"',
        "13",
        header.created_at.strftime("%Y%m%d%H%M%S") + f"{header.created_at.microsecond // 1000:03d}",
        "",
        '"RE"',
        '""',
        '""',
        str(header.consultant_number),
        str(header.client_number),
        f"{header.fiscal_year_start:%Y%m%d}",
        str(header.account_length),
        f"{header.period_start:%Y%m%d}",
        f"{header.period_end:%Y%m%d}",
        _text(header.description, DESCRIPTION_MAX),
        '""',
        "1",  # Buchungstyp: financial accounting
        "0",  # Rechnungslegungszweck: independent of the purpose
        "0",  # Festschreibung: not locked; the adviser locks the batch
        '"EUR"',
        "",
        '""',
        "",
        "",
        _text(header.chart.removeprefix("SKR")),
        "",
        "",
        '""',
        '""',
    ]
    return ";".join(fields)


def row_line(row: Row) -> str:
    values = [""] * len(COLUMNS)
    values[0] = amount_text(row.amount_minor)
    values[1] = _text(row.side)
    values[2] = _text("EUR")
    values[6] = str(row.account)
    values[7] = str(row.contra_account)
    values[8] = _text(row.bu_key)
    values[9] = f"{row.day:%d%m}"
    values[10] = _text(document_text(row.document))
    values[13] = _text(row.text, TEXT_MAX)
    return ";".join(values)


def extf_bytes(*, header: Header, rows: Sequence[Row]) -> bytes:
    """The whole file, encoded (Windows-1252, CRLF after every line)."""
    lines = [header_line(header), ";".join(COLUMNS), *(row_line(row) for row in rows)]
    return "".join(line + "\r\n" for line in lines).encode(ENCODING)


def file_name(header: Header) -> str:
    return (
        f"EXTF_Buchungsstapel_{header.consultant_number}_{header.client_number}_"
        f"{header.period_start:%Y%m%d}_{header.period_end:%Y%m%d}.csv"
    )
