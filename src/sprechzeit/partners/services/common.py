"""What the partners services share: the platform's settings, token digests, snapshots
for audit entries."""

from __future__ import annotations

import hashlib
from typing import Any

from sprechzeit.partners.models import PartnerSettings
from sprechzeit.platforms.models import Platform


def settings_of(platform: Platform) -> PartnerSettings:
    """The platform's partner settings (the defaults when it has no row)."""
    found = PartnerSettings.objects.filter(platform=platform).first()
    return found if found is not None else PartnerSettings(platform=platform)


def token_digest(token: str) -> str:
    return hashlib.sha256(token[:200].encode()).hexdigest()


def clean_text(value: str, *, limit: int) -> str:
    """Trimmed text without NUL and other control characters except line breaks and
    tabs; None of it is ever rendered unescaped."""
    kept = "".join(ch for ch in value if ch in "\n\t" or ch >= " ").replace("\r", "")
    return kept.strip()[:limit]


def snapshot(obj: Any, *names: str) -> dict[str, Any]:
    return {name: getattr(obj, name) for name in names}
