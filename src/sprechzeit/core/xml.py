"""Reading XML that comes from outside (bank statements, status reports): one parser
configuration for all of them, safe against entity expansion and network access."""

from __future__ import annotations

from lxml import etree


class XmlUnreadable(ValueError):
    """The bytes are not well-formed XML (the message says where)."""


def xml_parse_untrusted(content: bytes) -> tuple[etree._Element, str, str]:
    """Parse untrusted bytes: no entity resolution, no network, no huge trees.

    Returns the root element, its namespace ("" without one) and its local name.
    Raises `XmlUnreadable`; callers turn it into their own domain error.
    """
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    try:
        root = etree.fromstring(content, parser)
    except etree.XMLSyntaxError as exc:
        raise XmlUnreadable(str(exc)) from exc
    name = etree.QName(root)
    return root, name.namespace or "", name.localname
