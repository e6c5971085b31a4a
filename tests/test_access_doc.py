"""docs/security.md's roles section is the rendering of the access table itself."""

from __future__ import annotations

from sprechzeit.accounts import access_doc


def test_the_roles_section_of_security_md_is_rendered_from_the_table() -> None:
    text = access_doc.DOC.read_text(encoding="utf-8")
    section = access_doc.document_section(text)
    assert section is not None, "the markers of the generated section are missing"
    # Stale? Run `sprechzeit access_doc --write` and commit docs/security.md.
    assert section == access_doc.render()
    assert "not declared: refused" not in section
    assert "## How to report a vulnerability" in text
