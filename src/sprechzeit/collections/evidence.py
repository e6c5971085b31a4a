"""Verifying an evidence upload before it is stored.

Images are decoded and re-encoded by `core.images.image_reencode` (nothing of the upload
survives but its pixels). A PDF is accepted only if all of these hold: it starts with the
PDF magic `%PDF-` and ends with an `%%EOF` marker near its end, it is at most
`MAX_PDF_BYTES`, it names no active content (JavaScript, launch actions, embedded files,
forms that submit), and pypdf parses it with 1 to `MAX_PDF_PAGES` pages. Anything else is
refused. The stored name is fixed by the kind (`beleg-<n>.pdf` / `.jpg` …), never the
uploaded one, and it is served only as a download (`Content-Disposition: attachment`,
`nosniff`).
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from typing import IO, Final

from pypdf import PdfReader
from pypdf.errors import PdfReadError

from sprechzeit.collections.errors import EvidenceRefused
from sprechzeit.core.images import ImageRefused, image_reencode

MAX_PDF_BYTES: Final = 10 * 1024 * 1024
MAX_IMAGE_BYTES: Final = 10 * 1024 * 1024
MAX_PDF_PAGES: Final = 50
PDF_MAGIC: Final = b"%PDF-"
# Names of PDF objects that can act (run script, open files, submit, carry files).
ACTIVE_CONTENT: Final = (
    b"/JavaScript",
    b"/JS",
    b"/Launch",
    b"/EmbeddedFile",
    b"/SubmitForm",
    b"/ImportData",
    b"/RichMedia",
)


@dataclass(frozen=True, slots=True)
class CleanEvidence:
    content: bytes
    extension: str
    content_type: str
    pages: int
    sha256: str


def _read(source: IO[bytes] | bytes, limit: int) -> bytes:
    if isinstance(source, bytes):
        data = source
    else:
        if hasattr(source, "seek"):
            source.seek(0)
        data = source.read(limit + 1)
    if not data or len(data) > limit:
        raise EvidenceRefused(max_bytes=limit)
    return data


def pdf_verify(data: bytes) -> int:
    """The page count of an acceptable PDF, else EvidenceRefused."""
    if not data.startswith(PDF_MAGIC) or b"%%EOF" not in data[-1024:]:
        raise EvidenceRefused(kind="pdf", check="magic")
    if any(marker in data for marker in ACTIVE_CONTENT):
        raise EvidenceRefused(kind="pdf", check="active_content")
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise EvidenceRefused(kind="pdf", check="encrypted")
        pages = len(reader.pages)
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, RecursionError):
        raise EvidenceRefused(kind="pdf", check="structure") from None
    if not 1 <= pages <= MAX_PDF_PAGES:
        raise EvidenceRefused(kind="pdf", check="pages", pages=pages)
    return pages


def evidence_verify(source: IO[bytes] | bytes) -> CleanEvidence:
    """A PDF as verified above, or an image re-encoded; EvidenceRefused otherwise."""
    data = _read(source, max(MAX_PDF_BYTES, MAX_IMAGE_BYTES))
    if data.startswith(PDF_MAGIC):
        if len(data) > MAX_PDF_BYTES:
            raise EvidenceRefused(max_bytes=MAX_PDF_BYTES)
        pages = pdf_verify(data)
        return CleanEvidence(
            data, "pdf", "application/pdf", pages, hashlib.sha256(data).hexdigest()
        )
    try:
        image = image_reencode(data, max_bytes=MAX_IMAGE_BYTES)
    except ImageRefused:
        raise EvidenceRefused(kind="unknown") from None
    return CleanEvidence(
        image.content,
        image.extension,
        image.content_type,
        1,
        hashlib.sha256(image.content).hexdigest(),
    )
