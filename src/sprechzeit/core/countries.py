"""Country facts the tax rules share (ISO 3166-1 alpha-2 codes)."""

from __future__ import annotations

from typing import Final

# The EU member states. Greece is "GR" here; its VAT IDs start with "EL".
EU_MEMBER_STATES: Final = frozenset(
    {
        "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU",
        "IE", "IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK",
    }
)  # fmt: skip
