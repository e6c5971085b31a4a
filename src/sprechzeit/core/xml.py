"""XML in one place: reading XML that comes from outside (bank statements, status
reports) with one parser configuration, safe against entity expansion and network
access; walking it namespace-blind (banks send many versions of one message); and
checking documents against an XSD, each schema loaded once per process."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from lxml import etree


class XmlUnreadable(ValueError):
    """The bytes are not well-formed XML (the message says where)."""


def _parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)


def xml_parse_untrusted(content: bytes) -> tuple[etree._Element, str, str]:
    """Parse untrusted bytes: no entity resolution, no network, no huge trees.

    Returns the root element, its namespace ("" without one) and its local name.
    Raises `XmlUnreadable`; callers turn it into their own domain error.
    """
    try:
        root = etree.fromstring(content, _parser())
    except etree.XMLSyntaxError as exc:
        raise XmlUnreadable(str(exc)) from exc
    name = etree.QName(root)
    return root, name.namespace or "", name.localname


# --- namespace-blind walking ----------------------------------------------------------------


def xml_local(element: Any) -> str:
    """The element's name without its namespace."""
    return str(etree.QName(element).localname)


def xml_children(element: Any, name: str) -> list[Any]:
    """The direct children called `name` (any namespace); comments are skipped."""
    return [child for child in element if isinstance(child.tag, str) and xml_local(child) == name]


def xml_find(element: Any, path: str) -> Any:
    """The first element along `path` (slash-separated local names), or None."""
    current = [element]
    for name in path.split("/"):
        current = [child for parent in current for child in xml_children(parent, name)]
        if not current:
            return None
    return current[0]


def xml_text(element: Any, path: str) -> str:
    """The stripped text of the first element along `path`; "" when there is none."""
    found = xml_find(element, path)
    return "" if found is None or found.text is None else str(found.text).strip()


# --- XSD ------------------------------------------------------------------------------------


@functools.cache
def xsd_schema(path: Path) -> etree.XMLSchema:
    """The schema at `path`, compiled once per process (compiling costs more than
    validating a document)."""
    return etree.XMLSchema(etree.parse(str(path)))


def xsd_errors(xml: bytes, *, schema: Path) -> list[str]:
    """The complaints of the XSD at `schema` about `xml` ("line: message"; empty when
    valid). For documents we generate; raises lxml's `XMLSyntaxError` on broken XML."""
    validator = xsd_schema(schema)
    if validator.validate(etree.fromstring(xml, _parser())):
        return []
    return [f"{error.line}: {error.message}" for error in list(validator.error_log)]  # type: ignore[call-overload]
